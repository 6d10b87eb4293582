#!/usr/bin/env python3
"""certs.py DIR - certificates for tests/e2e/inspect_scan.sh (python3-cryptography).

expired : self-signed, CN expired.test (no SAN), valid from 800 to 400 days ago
valid   : issued by a test CA, SAN IP 10.79.1.2, valid from yesterday for 365 days
old     : RSA (for NULL-SHA), issued by the CA, SAN IP 10.79.0.2, expires in 10 days
"""
import datetime as dt, ipaddress, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

d = sys.argv[1]
now = dt.datetime.now(dt.timezone.utc)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def save(n, key, cert):
    open(f"{d}/{n}.key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    open(f"{d}/{n}.crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM))


def build(subject, issuer, pub, signer, nb, na, ip=None, ca=False):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(pub)
         .serial_number(x509.random_serial_number()).not_valid_before(nb).not_valid_after(na))
    if ip:
        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                            critical=False)
    if ca:
        b = b.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return b.sign(signer, hashes.SHA256())


cak = ec.generate_private_key(ec.SECP256R1())
ca = build(name("netwarden scan test CA"), name("netwarden scan test CA"), cak.public_key(), cak,
           now - dt.timedelta(days=3650), now + dt.timedelta(days=3650), ca=True)
save("ca", cak, ca)
k = ec.generate_private_key(ec.SECP256R1())
save("expired", k, build(name("expired.test"), name("expired.test"), k.public_key(), k,
                         now - dt.timedelta(days=800), now - dt.timedelta(days=400)))
k = ec.generate_private_key(ec.SECP256R1())
save("valid", k, build(name("10.79.1.2"), ca.subject, k.public_key(), cak,
                       now - dt.timedelta(days=1), now + dt.timedelta(days=365), ip="10.79.1.2"))
k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
save("old", k, build(name("10.79.0.2"), ca.subject, k.public_key(), cak,
                     now - dt.timedelta(days=1), now + dt.timedelta(days=10), ip="10.79.0.2"))
