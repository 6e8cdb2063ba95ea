"""wavgen.py: writes the WAV files the tone-detector tests read (and the GPU
check): silence, tones, noise, stereo, odd RIFF layouts, unsupported and broken
files. Deterministic (fixed seed) so every run sees the same signals."""
import math
import random
import struct
import wave

LEVEL = 32768 * 10 ** (-20 / 20)  # -20 dBFS, the usual line-up level


def write(path, rate, channels, frames):
    """frames: a list of tuples (one float per channel)."""
    with wave.open(path, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(
            struct.pack("<" + "h" * channels,
                        *(max(-32768, min(32767, int(round(v)))) for v in fr))
            for fr in frames))


def signal(seconds, rate, segments, noise=0.0, seed=7):
    """segments: (start s, end s, frequency Hz, amplitude); noise: rms."""
    rnd = random.Random(seed)
    out = []
    for i in range(int(seconds * rate)):
        t = i / rate
        v = sum(a * math.sin(2 * math.pi * f * t)
                for (s, e, f, a) in segments if s <= t < e)
        if noise:
            v += rnd.gauss(0.0, noise)
        out.append(v)
    return out


def mono(path, seconds, rate, segments, noise=0.0):
    write(path, rate, 1, [(v,) for v in signal(seconds, rate, segments, noise)])


def riff_chunks(path, rate, channels, bits, samples_bytes, extra_chunks=(),
                extensible=False, fmt_tag=1, truncate_to=None):
    """Builds a WAV by hand: odd-sized extra chunks before fmt, extensible
    headers, other encodings, truncated data."""
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 0xFFFE if extensible else fmt_tag, channels, rate,
                      rate * align, align, bits)
    if extensible:
        guid = struct.pack("<H", fmt_tag) + b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        fmt += struct.pack("<HHI", 22, bits, 3) + guid
    body = b"WAVE"
    for cid, data in extra_chunks:
        body += cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) % 2 else b"")
    body += b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(samples_bytes)) + samples_bytes
    blob = b"RIFF" + struct.pack("<I", len(body)) + body
    if truncate_to is not None:
        blob = blob[:truncate_to]
    with open(path, "wb") as f:
        f.write(blob)


def pcm16(values):
    return b"".join(struct.pack("<h", max(-32768, min(32767, int(round(v))))) for v in values)
