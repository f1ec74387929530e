//! The random numbers of a draw: ChaCha20 keyed with the combined seed.
//!
//! Stream 0 gives every candidate its permanent random number (PRN): candidate `i` gets the
//! `i`-th `u64` of the stream, i.e. keystream bytes `8i .. 8i+8` read little-endian. Stream 1
//! gives the tie-breaks of the inspector assignment. `rand_chacha`'s `ChaCha20Rng` is the
//! original ChaCha20 (20 rounds, 64-bit block counter from 0, 64-bit stream id as the nonce);
//! `docs/draw-algorithm.md` gives the equivalent RFC 8439 parameters, and a test checks them
//! against an independent implementation of the block function. Long runs of words are
//! computed eight blocks at a time with AVX2 where the CPU has it (`chacha8`), the same
//! keystream.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

use super::Bytes32;
use super::record::Witness;

/// ChaCha20 stream of the candidates' permanent random numbers.
pub const PRN_STREAM: u64 = 0;
/// ChaCha20 stream of the inspector tie-breaks.
pub const TIEBREAK_STREAM: u64 = 1;

/// SHA-256(server seed ‖ witness bytes); without a witness, SHA-256(server seed). The server
/// seed alone already makes the draw unpredictable to outsiders; the witness makes it
/// unpredictable to the platform too, since it is revealed only after the commitment.
pub fn combined_seed(server: &Bytes32, witness: Option<&Witness>) -> Bytes32 {
    let mut h = Sha256::new();
    h.update(server.0);
    if let Some(w) = witness {
        h.update(w.as_bytes());
    }
    Bytes32(h.finalize().into())
}

fn rng(key: &Bytes32, stream: u64) -> ChaCha20Rng {
    let mut r = ChaCha20Rng::from_seed(key.0);
    r.set_stream(stream);
    r
}

/// Word `i` (0-based, 8 bytes) of `stream`, by random access.
fn word_at(key: &Bytes32, stream: u64, i: u64) -> u64 {
    let mut r = rng(key, stream);
    r.set_word_pos(2 * u128::from(i));
    r.next_u64()
}

/// The permanent random number of candidate `i`, by random access. Costs one ChaCha20 block
/// computation (four, in fact: `rand_chacha` works in 4-block batches); for many numbers use
/// [`PrnStream`], [`prns`] or [`PrnReader`], which give identical values.
pub fn prn_at(key: &Bytes32, i: u64) -> u64 {
    word_at(key, PRN_STREAM, i)
}

/// Word `i` of the tie-break stream (see `assign`).
pub fn tiebreak_at(key: &Bytes32, i: u64) -> u64 {
    word_at(key, TIEBREAK_STREAM, i)
}

/// Reads `out.len()` consecutive words into `out`, in batches through a byte buffer (the
/// cipher's own batch size is 256 bytes, so this runs at keystream speed).
fn fill_words(rng: &mut ChaCha20Rng, out: &mut [u64]) {
    let mut bytes = [0u8; 2048];
    for chunk in out.chunks_mut(256) {
        let b = &mut bytes[..chunk.len() * 8];
        rng.fill_bytes(b);
        for (w, b8) in chunk.iter_mut().zip(b.chunks_exact(8)) {
            *w = u64::from_le_bytes(b8.try_into().expect("8 bytes"));
        }
    }
}

/// Words `first .. first + out.len()` of `stream` with `rand_chacha` (any CPU).
pub(super) fn words_portable(key: &Bytes32, stream: u64, first: u64, out: &mut [u64]) {
    let mut r = rng(key, stream);
    r.set_word_pos(2 * u128::from(first));
    fill_words(&mut r, out);
}

/// Words `first .. first + out.len()` of `stream`: eight blocks at a time with AVX2 where the
/// CPU has it, otherwise [`words_portable`]; the same values either way.
pub(super) fn words(key: &Bytes32, stream: u64, first: u64, out: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if super::chacha8::available() {
        return super::chacha8::words(&key.0, stream, first, out);
    }
    words_portable(key, stream, first, out)
}

/// The numbers in order, fast: the path for whole candidate lists.
pub struct PrnStream {
    key: Bytes32,
    stream: u64,
    /// The word after the last one in `buf`.
    next: u64,
    buf: [u64; 256],
    pos: usize,
}

impl PrnStream {
    /// Stream 0 from candidate 0.
    pub fn new(key: &Bytes32) -> Self {
        Self::starting_at(key, PRN_STREAM, 0)
    }

    /// `stream` from word `i`.
    pub fn starting_at(key: &Bytes32, stream: u64, i: u64) -> Self {
        Self {
            key: *key,
            stream,
            next: i,
            buf: [0; 256],
            pos: 256,
        }
    }

    /// The next `out.len()` numbers.
    pub fn fill(&mut self, out: &mut [u64]) {
        let buffered = (256 - self.pos).min(out.len());
        out[..buffered].copy_from_slice(&self.buf[self.pos..self.pos + buffered]);
        self.pos += buffered;
        let rest = &mut out[buffered..];
        words(&self.key, self.stream, self.next, rest);
        self.next += rest.len() as u64;
    }
}

impl Iterator for PrnStream {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        if self.pos == self.buf.len() {
            words(&self.key, self.stream, self.next, &mut self.buf);
            self.next += self.buf.len() as u64;
            self.pos = 0;
        }
        self.pos += 1;
        Some(self.buf[self.pos - 1])
    }
}

/// The permanent random numbers of candidates `0..n`; large `n` in contiguous chunks on
/// parallel threads (the stream is seekable, so each chunk starts at its own word).
pub fn prns(key: &Bytes32, n: usize) -> Vec<u64> {
    let mut v = vec![0; n];
    let threads = if n < 1 << 16 {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |t| t.get().min(8))
    };
    if threads == 1 {
        PrnStream::new(key).fill(&mut v);
        return v;
    }
    let step = n.div_ceil(threads);
    std::thread::scope(|s| {
        for (k, chunk) in v.chunks_mut(step).enumerate() {
            s.spawn(move || PrnStream::starting_at(key, PRN_STREAM, (k * step) as u64).fill(chunk));
        }
    });
    v
}

/// Random access that keeps the last 64-word batch (eight blocks): cheap for indices that come
/// roughly in ascending order, as pools from an index do.
pub struct PrnReader {
    key: Bytes32,
    stream: u64,
    batch: u64,
    buf: [u64; 64],
}

impl PrnReader {
    pub fn new(key: &Bytes32, stream: u64) -> Self {
        Self {
            key: *key,
            stream,
            batch: u64::MAX,
            buf: [0; 64],
        }
    }

    /// Word `i` of the stream.
    pub fn at(&mut self, i: u64) -> u64 {
        let batch = i / 64;
        if batch != self.batch {
            words(&self.key, self.stream, batch * 64, &mut self.buf);
            self.batch = batch;
        }
        self.buf[(i % 64) as usize]
    }
}
