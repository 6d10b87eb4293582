"""standin.py - the threaded TCP server under the tests' stand-in services
(imported by inspect_scan/services.py and alloc_fail/net.py).

serve(addr, port, handler, timeout=None, ignore=()): listen on addr:port and
run handler(conn) in a thread per connection, closing it afterwards; timeout
bounds each connection, ignore lists exceptions a handler may end with.
"""
import socket
import threading


def serve(addr, port, handler, timeout=None, ignore=()):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(128)

    def one(c):
        if timeout is not None:
            c.settimeout(timeout)
        try:
            handler(c)
        except ignore:
            pass
        finally:
            c.close()

    def loop():
        while True:
            c, _ = s.accept()
            threading.Thread(target=one, args=(c,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
