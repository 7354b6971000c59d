"""Clients that read one path as fast as they can, in a process of their own.

    python scripts/whole_history_readers.py PORT COUNT PATH

Opens COUNT connections to 127.0.0.1:PORT, sends `GET PATH` on each, prints `sent`
once every request is out, then reads every answer to its end. `make bench` and
tests/integration/test_slow_clients.py run it to load the server with whole-history streams.
"""

import selectors
import socket
import sys

port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
request = f"GET {path} HTTP/1.1\r\nHost: readers\r\n\r\n".encode()
selector = selectors.DefaultSelector()
for _ in range(count):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(request)
    selector.register(sock, selectors.EVENT_READ, sock)
print("sent", flush=True)
while selector.get_map():
    for key, _ in selector.select():
        if not key.data.recv(1 << 16):
            selector.unregister(key.fileobj)
