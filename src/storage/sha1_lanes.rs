//! SHA-1 of several independent inputs at once, interleaved on one thread.
//!
//! One SHA-1 stream is bound by the latency of the CPU's SHA instructions: each round waits for
//! the one before. Up to [`LANES`] independent streams advanced in lock-step fill the gaps, so on
//! an x86-64 CPU with the SHA extensions four 1 MiB pieces hash in about 0.4 of the time of four
//! hashed one after the other (`benches/engine.md`, session 5). Without those extensions, or on
//! other CPUs, each input is hashed by the `sha1` crate on its own.
//!
//! An input is the concatenation of a list of slices (a piece spanning files, or pad zeros); the
//! slices need not be block-aligned.

use sha1::{Digest, Sha1};

/// Most inputs hashed together.
pub const LANES: usize = 4;

/// Size of a SHA-1 block.
const BLOCK: usize = 64;

/// SHA-1 of each input, in order; an input is the concatenation of its slices.
pub fn sha1_each(inputs: &[&[&[u8]]]) -> Vec<[u8; 20]> {
    #[cfg(target_arch = "x86_64")]
    if shani::available() {
        return inputs.chunks(LANES).flat_map(shani::sha1_group).collect();
    }
    inputs.iter().map(|slices| sha1_one(slices)).collect()
}

/// SHA-1 of one input with the `sha1` crate.
fn sha1_one(slices: &[&[u8]]) -> [u8; 20] {
    let mut h = Sha1::new();
    for s in slices {
        h.update(s);
    }
    h.finalize().into()
}

/// One input's progress: its compressed state, the bytes of a block not yet full, and where it
/// is in its slices.
struct Lane<'a> {
    state: [u32; 5],
    total: u64,
    buf: [u8; BLOCK],
    buf_len: usize,
    slices: &'a [&'a [u8]],
    slice: usize,
    offset: usize,
}

impl<'a> Lane<'a> {
    fn new(slices: &'a [&'a [u8]]) -> Lane<'a> {
        Lane {
            state: [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0],
            total: slices.iter().map(|s| s.len() as u64).sum(),
            buf: [0; BLOCK],
            buf_len: 0,
            slices,
            slice: 0,
            offset: 0,
        }
    }

    /// Moves bytes that do not form whole blocks in place into the block buffer, compressing it
    /// with `compress` each time it fills, until either the input is used up (false) or the buffer
    /// is empty and at least one whole block lies at the current place (true).
    fn settle(&mut self, compress: &mut impl FnMut(&mut [u32; 5], &[u8])) -> bool {
        loop {
            if self.buf_len == BLOCK {
                compress(&mut self.state, &self.buf);
                self.buf_len = 0;
            }
            while self.slice < self.slices.len() && self.offset == self.slices[self.slice].len() {
                self.slice += 1;
                self.offset = 0;
            }
            let Some(current) = self.slices.get(self.slice) else { return false };
            let rest = &current[self.offset..];
            if self.buf_len == 0 && rest.len() >= BLOCK {
                return true;
            }
            let take = (BLOCK - self.buf_len).min(rest.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&rest[..take]);
            self.buf_len += take;
            self.offset += take;
        }
    }

    /// The whole blocks at the current place (call after [`Lane::settle`] returned true).
    fn run(&self) -> &'a [u8] {
        let rest = &self.slices[self.slice][self.offset..];
        &rest[..rest.len() / BLOCK * BLOCK]
    }

    /// Pads the buffered tail, compresses it and returns the digest.
    fn finish(mut self, compress: &mut impl FnMut(&mut [u32; 5], &[u8])) -> [u8; 20] {
        let mut tail = [0u8; 2 * BLOCK];
        tail[..self.buf_len].copy_from_slice(&self.buf[..self.buf_len]);
        tail[self.buf_len] = 0x80;
        let len = if self.buf_len < BLOCK - 8 { BLOCK } else { 2 * BLOCK };
        tail[len - 8..len].copy_from_slice(&(self.total * 8).to_be_bytes());
        compress(&mut self.state, &tail[..len]);
        let mut out = [0u8; 20];
        for (chunk, word) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// The interleaved compression with the x86 SHA extensions.
#[cfg(target_arch = "x86_64")]
mod shani {
    use super::{Lane, BLOCK, LANES};
    use core::arch::x86_64::*;

    /// Whether this CPU has the instructions used here.
    pub fn available() -> bool {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("sse2")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
    }

    /// SHA-1 of up to [`LANES`] inputs, advanced together wherever all have whole blocks at hand.
    pub fn sha1_group(inputs: &[&[&[u8]]]) -> Vec<[u8; 20]> {
        debug_assert!(inputs.len() <= LANES);
        let mut single = |state: &mut [u32; 5], data: &[u8]| {
            // SAFETY: `available()` was checked by the only caller, `sha1_each`.
            unsafe { compress::<1>([state], [data]) }
        };
        let mut lanes: Vec<Lane> = inputs.iter().map(|s| Lane::new(s)).collect();
        loop {
            let mut ready: Vec<&mut Lane> =
                lanes.iter_mut().filter_map(|l| l.settle(&mut single).then_some(l)).collect();
            if ready.is_empty() {
                break;
            }
            let blocks = ready.iter().map(|l| l.run().len() / BLOCK).min().unwrap_or(0);
            let runs: Vec<&[u8]> = ready.iter().map(|l| &l.run()[..blocks * BLOCK]).collect();
            let states: Vec<&mut [u32; 5]> = ready.iter_mut().map(|l| &mut l.state).collect();
            // SAFETY: as above; every run holds `blocks` whole blocks.
            unsafe { compress_dyn(states, &runs) };
            for l in ready {
                l.offset += blocks * BLOCK;
            }
        }
        lanes.into_iter().map(|l| l.finish(&mut single)).collect()
    }

    /// [`compress`] for 1 to [`LANES`] states given at run time.
    ///
    /// # Safety
    /// The CPU must have the SHA extensions; every run must hold the same whole number of blocks.
    unsafe fn compress_dyn(states: Vec<&mut [u32; 5]>, runs: &[&[u8]]) {
        fn arr<T, const L: usize>(v: Vec<T>) -> [T; L] {
            v.try_into().unwrap_or_else(|_| unreachable!("lane count checked by the caller"))
        }
        // SAFETY: passed on from the caller.
        unsafe {
            match states.len() {
                1 => compress::<1>(arr(states), [runs[0]]),
                2 => compress::<2>(arr(states), [runs[0], runs[1]]),
                3 => compress::<3>(arr(states), [runs[0], runs[1], runs[2]]),
                _ => compress::<4>(arr(states), [runs[0], runs[1], runs[2], runs[3]]),
            }
        }
    }

    /// Compresses the blocks of `data[l]` into `states[l]` for each of the `L` lanes, the lanes'
    /// rounds interleaved (FIPS 180-4 §6.1.2 with the SHA1RNDS4/SHA1NEXTE/SHA1MSG1/SHA1MSG2
    /// instructions).
    ///
    /// # Safety
    /// The CPU must have the SHA extensions; every `data[l]` must have the same length, a whole
    /// number of blocks.
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    unsafe fn compress<const L: usize>(states: [&mut [u32; 5]; L], data: [&[u8]; L]) {
        // Big-endian words: reverse the bytes of each 128-bit load.
        let swap = _mm_set_epi64x(0x0001_0203_0405_0607, 0x0809_0A0B_0C0D_0E0F);
        let blocks = data[0].len() / BLOCK;
        let mut abcd = [_mm_setzero_si128(); L];
        let mut e = [_mm_setzero_si128(); L];
        for l in 0..L {
            let s = &states[l];
            abcd[l] = _mm_set_epi32(s[0] as i32, s[1] as i32, s[2] as i32, s[3] as i32);
            e[l] = _mm_set_epi32(s[4] as i32, 0, 0, 0);
        }
        for b in 0..blocks {
            let mut w = [[_mm_setzero_si128(); 5]; L];
            let mut h0 = abcd;
            let mut h1 = [_mm_setzero_si128(); L];
            for l in 0..L {
                debug_assert_eq!(data[l].len(), blocks * BLOCK);
                let block = &data[l][b * BLOCK..(b + 1) * BLOCK];
                for (word, bytes) in w[l].iter_mut().zip(block.chunks_exact(16)) {
                    // SAFETY: an unaligned 16-byte load from a 16-byte slice.
                    *word = _mm_shuffle_epi8(unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }, swap);
                }
                h1[l] = _mm_sha1rnds4_epu32(h0[l], _mm_add_epi32(e[l], w[l][0]), 0);
            }
            // Four rounds on each lane: `$to` takes the rounds of `$from` fed with message words
            // `w[$m]` (computed first from the four before it when `$sched` is given).
            macro_rules! rounds4 {
                ($from:ident, $to:ident, $m:literal, $f:literal) => {
                    for l in 0..L {
                        $to[l] = _mm_sha1rnds4_epu32($from[l], _mm_sha1nexte_epu32($to[l], w[l][$m]), $f);
                    }
                };
                ($from:ident, $to:ident, $m:literal, $f:literal, sched $a:literal $b:literal $c:literal $d:literal) => {
                    for l in 0..L {
                        let x = _mm_xor_si128(_mm_sha1msg1_epu32(w[l][$a], w[l][$b]), w[l][$c]);
                        w[l][$m] = _mm_sha1msg2_epu32(x, w[l][$d]);
                        $to[l] = _mm_sha1rnds4_epu32($from[l], _mm_sha1nexte_epu32($to[l], w[l][$m]), $f);
                    }
                };
            }
            rounds4!(h1, h0, 1, 0);
            rounds4!(h0, h1, 2, 0);
            rounds4!(h1, h0, 3, 0);
            rounds4!(h0, h1, 4, 0, sched 0 1 2 3);
            rounds4!(h1, h0, 0, 1, sched 1 2 3 4);
            rounds4!(h0, h1, 1, 1, sched 2 3 4 0);
            rounds4!(h1, h0, 2, 1, sched 3 4 0 1);
            rounds4!(h0, h1, 3, 1, sched 4 0 1 2);
            rounds4!(h1, h0, 4, 1, sched 0 1 2 3);
            rounds4!(h0, h1, 0, 2, sched 1 2 3 4);
            rounds4!(h1, h0, 1, 2, sched 2 3 4 0);
            rounds4!(h0, h1, 2, 2, sched 3 4 0 1);
            rounds4!(h1, h0, 3, 2, sched 4 0 1 2);
            rounds4!(h0, h1, 4, 2, sched 0 1 2 3);
            rounds4!(h1, h0, 0, 3, sched 1 2 3 4);
            rounds4!(h0, h1, 1, 3, sched 2 3 4 0);
            rounds4!(h1, h0, 2, 3, sched 3 4 0 1);
            rounds4!(h0, h1, 3, 3, sched 4 0 1 2);
            rounds4!(h1, h0, 4, 3, sched 0 1 2 3);
            for l in 0..L {
                abcd[l] = _mm_add_epi32(abcd[l], h0[l]);
                e[l] = _mm_sha1nexte_epu32(h1[l], e[l]);
            }
        }
        for (l, s) in states.into_iter().enumerate() {
            s[0] = _mm_extract_epi32(abcd[l], 3) as u32;
            s[1] = _mm_extract_epi32(abcd[l], 2) as u32;
            s[2] = _mm_extract_epi32(abcd[l], 1) as u32;
            s[3] = _mm_extract_epi32(abcd[l], 0) as u32;
            s[4] = _mm_extract_epi32(e[l], 3) as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bytes that differ per seed.
    fn bytes(len: usize, seed: u64) -> Vec<u8> {
        use rand::{RngCore, SeedableRng};
        let mut v = vec![0; len];
        rand::rngs::SmallRng::seed_from_u64(seed).fill_bytes(&mut v);
        v
    }

    /// `data` cut at `cuts` (offsets, any order, may repeat or be out of range).
    fn split<'a>(data: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
        let mut at: Vec<usize> = cuts.iter().map(|&c| c.min(data.len())).collect();
        at.sort_unstable();
        let mut out = Vec::new();
        let mut from = 0;
        for c in at.into_iter().chain([data.len()]) {
            out.push(&data[from..c]);
            from = c;
        }
        out
    }

    fn reference(data: &[u8]) -> [u8; 20] {
        Sha1::digest(data).into()
    }

    #[test]
    fn known_answers() {
        let abc: &[&[u8]] = &[b"abc"];
        let empty: &[&[u8]] = &[];
        let two_blocks: &[&[u8]] = &[b"abcdbcdecdefdefgefghfghighijhi", b"jkijkljklmklmnlmnomnopnopq"];
        let got = sha1_each(&[abc, empty, two_blocks]);
        let hex = |d: &[u8; 20]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        assert_eq!(hex(&got[0]), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(&got[1]), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex(&got[2]), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    }

    #[test]
    fn every_length_around_the_block_and_padding_edges() {
        let data = bytes(300, 1);
        for len in 0..data.len() {
            for lanes in 1..=LANES + 1 {
                // Lanes of different lengths, so they drop out of the lock-step at different blocks.
                let inputs: Vec<Vec<&[u8]>> = (0..lanes).map(|l| vec![&data[..len.saturating_sub(l * 7)]]).collect();
                let refs: Vec<&[&[u8]]> = inputs.iter().map(|v| v.as_slice()).collect();
                let got = sha1_each(&refs);
                for (l, d) in got.iter().enumerate() {
                    assert_eq!(*d, reference(inputs[l][0]), "len {len} lane {l} of {lanes}");
                }
            }
        }
    }

    #[test]
    fn slices_cut_anywhere_give_the_digest_of_their_concatenation() {
        let pieces: Vec<Vec<u8>> = (0..9).map(|i| bytes(16 * 1024 * (i % 4 + 1) + i * 37, i as u64)).collect();
        let cut_sets: [&[usize]; 9] = [
            &[],
            &[0, 0],
            &[1],
            &[63, 64, 65],
            &[16384, 16384 + 1],
            &[5, 130, 4000, 4001, 9999],
            &[64 * 100],
            &[usize::MAX],
            &[31, 32, 33, 95, 96, 97],
        ];
        let inputs: Vec<Vec<&[u8]>> = pieces.iter().zip(cut_sets).map(|(p, cuts)| split(p, cuts)).collect();
        let refs: Vec<&[&[u8]]> = inputs.iter().map(|v| v.as_slice()).collect();
        let got = sha1_each(&refs);
        assert_eq!(got.len(), pieces.len());
        for (i, p) in pieces.iter().enumerate() {
            assert_eq!(got[i], reference(p), "input {i}");
        }
    }

    #[test]
    fn whole_pieces_in_groups_of_every_size() {
        let pieces: Vec<Vec<u8>> = (0..7).map(|i| bytes(1 << 20, 100 + i)).collect();
        for n in 1..=pieces.len() {
            let inputs: Vec<Vec<&[u8]>> = pieces[..n].iter().map(|p| vec![p.as_slice()]).collect();
            let refs: Vec<&[&[u8]]> = inputs.iter().map(|v| v.as_slice()).collect();
            for (i, d) in sha1_each(&refs).iter().enumerate() {
                assert_eq!(*d, reference(&pieces[i]), "piece {i} of {n}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_interleaved_path_is_the_one_tested_here() {
        // The CI machine has the SHA extensions; if it did not, the tests above would only cover
        // the fallback, which this says loudly.
        assert!(shani::available(), "this CPU lacks the SHA extensions: the interleaved path is untested");
    }
}
