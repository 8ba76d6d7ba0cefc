#!/usr/bin/python3
"""Peak RSS of a whoknows server under unauthenticated big requests.

Sends CALLS parallel FindExperts calls without a token, each a valid
FindExpertsRequest whose query is BYTES long (gRPC reads a whole request
before the server checks the token), waits for them all, and prints how
the server's peak RSS (VmHWM) grew and what the calls got back.
  unauthenticated_memory.py PORT CA_PEM SERVER_PID CALLS BYTES
Debian's python3-grpcio (apt install python3-grpcio); run by
bench/unauthenticated_memory.sh.
"""
import collections
import sys

import grpc


def vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def request(size):
    # FindExpertsRequest{query = 'a' * size}: field 1, length-delimited.
    varint, n = bytearray(), size
    while True:
        byte, n = n & 0x7F, n >> 7
        varint.append(byte | (0x80 if n else 0))
        if not n:
            break
    return b"\x0a" + bytes(varint) + b"a" * size


def main():
    port, ca, pid, calls, size = sys.argv[1:6]
    calls, size = int(calls), int(size)
    with open(ca, "rb") as f:
        creds = grpc.ssl_channel_credentials(f.read())
    options = [("grpc.max_send_message_length", -1)]
    before = vm_hwm_kib(pid)
    body = request(size)
    # One channel per call, as many clients would.
    channels = [grpc.secure_channel(f"127.0.0.1:{port}", creds, options)
                for _ in range(calls)]
    futures = [
        ch.unary_unary("/whoknows.v1.Expertise/FindExperts",
                       request_serializer=None,
                       response_deserializer=None).future(body, timeout=120)
        for ch in channels]
    codes = collections.Counter()
    for fut in futures:
        try:
            fut.result()
            codes["OK"] += 1
        except grpc.RpcError as e:
            codes[e.code().name] += 1
    after = vm_hwm_kib(pid)
    for ch in channels:
        ch.close()
    print(f"{calls} unauthenticated calls of {size / 2**20:.1f} MiB: "
          f"peak RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB; "
          f"answers {dict(codes)}")


if __name__ == "__main__":
    main()
