"""A WebSocket client that never reads, with a tiny kernel receive buffer (Node cannot set SO_RCVBUF), so the
server's send buffer fills after a few kilobytes instead of the megabytes loopback autotuning would take.
Usage: slow-client.py PORT TOKEN [MESSAGE]. Sends MESSAGE (a JSON text) once upgraded, prints "open", then sleeps
until killed."""
import base64, os, socket, sys, time

port, token = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        sys.exit(1)
    head += chunk
if b" 101 " not in head.split(b"\r\n")[0]:
    sys.exit(2)
if len(sys.argv) > 3:
    data = sys.argv[3].encode()
    mask = os.urandom(4)
    assert len(data) < 126
    frame = bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    s.sendall(frame)
print("open", flush=True)
while True:
    time.sleep(3600)
