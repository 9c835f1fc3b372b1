"""An internet radio station on 127.0.0.1 for real Mopidy tests: MP3 over
HTTP in real time, titles in SHOUTcast's in-band ICY metadata, and a
connection that stalls on cue.

Everything is said in seconds of the station's audio: a title begins at a
given second of what has been sent, and a stall holds the sending back when a
given second has been sent, for a given time. What a stall held back comes in
a burst afterwards, as TCP delivers it after a poor connection recovers; so a
listener's player stalls to buffer and then goes on where it stopped.
"""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

BYTES_PER_SECOND = 16_000  # 128 kbit/s, as tests/support/audio_files.write_mp3
METADATA_INTERVAL = 8_000  # bytes of audio between two ICY metadata blocks
BURST_S = 4  # sent at once when a listener connects, as Icecast does
CHUNK = 1_000  # bytes per send: 1/16 s of audio


@dataclasses.dataclass(frozen=True)
class Stall:
    at_audio_s: float  # when this much audio has been sent...
    seconds: float  # ...nothing more is sent for this long


class RadioStation:
    def __init__(
        self,
        audio: bytes,
        titles: list[tuple[float, str]],
        stalls: tuple[Stall, ...] = (),
    ) -> None:
        """`audio`: MP3 frames at BYTES_PER_SECOND, sent in a loop; `titles`:
        (second of audio it begins at, "Artist - Title"), in order."""
        self._audio = audio
        self._titles = sorted(titles)
        self._stalls = sorted(stalls, key=lambda s: s.at_audio_s)
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=4)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/radio.mp3"
        self.requests: list[str] = []
        self._threads = [threading.Thread(target=self._serve, daemon=True)]
        self._threads[0].start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self._listener.close()

    def title_at(self, audio_s: float) -> str:
        current = ""
        for begins_s, title in self._titles:
            if begins_s <= audio_s:
                current = title
        return current

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(
                target=self._listener_connected, args=(connection,), daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _listener_connected(self, connection: socket.socket) -> None:
        with connection:
            try:
                request = self._read_request(connection)
                self.requests.append(request.split("\r\n", 1)[0])
                icy = "\r\nicy-metadata: 1" in request.lower()
                self._send_stream(connection, icy)
            except OSError:
                return  # the listener went away: a player stops, or seeks

    @staticmethod
    def _read_request(connection: socket.socket) -> str:
        connection.settimeout(10)
        request = b""
        while b"\r\n\r\n" not in request:
            data = connection.recv(4096)
            if not data:
                raise ConnectionResetError("request cut short")
            request += data
        return request.decode("latin-1")

    def _send_stream(self, connection: socket.socket, icy: bool) -> None:
        head = (
            "HTTP/1.0 200 OK\r\nContent-Type: audio/mpeg\r\n"
            "icy-name: MTScrobble Test Radio\r\n"
        )
        if icy:
            head += f"icy-metaint: {METADATA_INTERVAL}\r\n"
        connection.sendall((head + "\r\n").encode())
        sent = 0
        to_metadata = METADATA_INTERVAL
        stalls = list(self._stalls)
        # What may have been sent by now: a burst, then real time, with
        # every stall that has happened added to the clock.
        start_s = time.monotonic() - BURST_S
        while not self._stop.is_set():
            stalling = stalls and sent >= stalls[0].at_audio_s * BYTES_PER_SECOND
            if stalling and self._stop.wait(stalls.pop(0).seconds):
                return
            due_s = start_s + sent / BYTES_PER_SECOND
            if self._stop.wait(max(0.0, due_s - time.monotonic())):
                return
            size = min(CHUNK, to_metadata)
            offset = sent % len(self._audio)
            piece = (self._audio[offset:] + self._audio)[:size]
            sent += size
            to_metadata -= size
            if icy and to_metadata == 0:
                piece += self._metadata(sent / BYTES_PER_SECOND)
                to_metadata = METADATA_INTERVAL
            connection.sendall(piece)

    def _metadata(self, audio_s: float) -> bytes:
        text = f"StreamTitle='{self.title_at(audio_s)}';".encode()
        text += b"\0" * (-len(text) % 16)
        return bytes([len(text) // 16]) + text
