"""Sends one HMP command to a QEMU monitor socket and prints the answer.
usage: hmp.py SOCKET COMMAND..."""

import socket
import sys
import time


def main():
    path, cmd = sys.argv[1], " ".join(sys.argv[2:])
    s = socket.socket(socket.AF_UNIX)
    for attempt in range(100):
        try:
            s.connect(path)
            break
        except OSError:
            if attempt == 99:
                print("monitor unreachable")
                sys.exit(1)
            time.sleep(0.1)
    s.settimeout(10)
    buf = b""
    while b"(qemu)" not in buf:
        buf += s.recv(4096)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    try:
        while not out.rstrip().endswith(b"(qemu)"):
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    print(out.decode(errors="replace").replace("(qemu)", "").strip())


if __name__ == "__main__":
    main()
