# Thin wrapper over the CMake presets (CMakePresets.json).
#   make          release build -> build/netwarden
#   make demo     run the audit on a bundled capture, records to out/demo.eve.json
#   make test     unit + e2e + corpus + fuzz-replay tests under ASan+UBSan, then memcheck,
#                 then the threaded code under ThreadSanitizer (tests/tsan.sh)
#   make tsan     ThreadSanitizer build -> build-tsan
#   make bench    throughput against tcpdump, tshark and ndpiReader
#   make bench-store  store ingest, size, who-had-IP latency, URL search (RECORDS=... to scale)
#   make fuzz     run every libFuzzer harness for FUZZ_SECONDS each
#   make clang    compile everything with clang 14 (CI: warnings are errors)
FUZZ_SECONDS ?= 60
# extra CMake cache settings, e.g. CMAKE_EXTRA=-DNW_WERROR=ON (CI)
CMAKE_EXTRA ?=

.PHONY: all release debug asan tsan clang demo test bench bench-store fuzz clean deps
all: release

release:
	cmake --preset release >/dev/null
	cmake --build build

debug:
	cmake --preset debug $(CMAKE_EXTRA) >/dev/null
	cmake --build build-debug

asan:
	cmake --preset asan $(CMAKE_EXTRA) >/dev/null
	cmake --build build-asan

tsan:
	cmake --preset tsan $(CMAKE_EXTRA) >/dev/null
	cmake --build build-tsan

clang:
	CC=clang cmake -S . -B build-clang -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_EXTRA) >/dev/null
	cmake --build build-clang

# The demo's store is its own: made anew each run, so records are not stored twice.
demo: deps release
	@mkdir -p out
	rm -rf out/demo-store
	./build/netwarden audit -r tests/corpus/pcaps/mixed-1kxun.pcap \
	    -r tests/e2e/identity/radius-browse.pcap --eve out/demo.eve.json --store out/demo-store
	@echo "records: out/demo.eve.json and the store out/demo-store"; \
	python3 -c 'import collections,json,sys; c=collections.Counter(json.loads(l)["event_type"] for l in open("out/demo.eve.json")); print(" ".join(f"{k}={v}" for k,v in sorted(c.items())))'
	./build/netwarden query who --store out/demo-store --ip 10.1.2.3 --at 2023-11-14T22:13:21Z
	./build/netwarden verify --store out/demo-store

# ASan+UBSan do not see reads of uninitialised memory: memcheck runs the
# commands and the unit tests once more on the -O0 debug build. Nor do they
# see data races: tests/tsan.sh runs the threaded code under TSan (~35 s)
test: deps asan debug tsan
	ctest --preset asan
	bash tests/memcheck.sh build-debug/netwarden $(CURDIR)
	bash tests/tsan.sh build-tsan $(CURDIR)

bench: release
	bash bench/run.sh
	bash bench/inspect/scan_bench.sh

fuzz:
	cmake --preset fuzz >/dev/null
	cmake --build build-fuzz
	bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS)

deps:
	@bash scripts/deps.sh

clean:
	rm -rf build build-debug build-asan build-tsan build-clang build-fuzz out
bench-store: release
	bash bench/store/run.sh
bench-inspect: release ; bash bench/inspect/scan_bench.sh
