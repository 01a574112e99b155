//! Low-level hashing and id comparison for the per-cycle indexes: ids
//! compared without regard to ASCII case (torrent hashes: qBittorrent writes
//! them lower-case, the *arrs upper-case) and a fast hasher for integer and
//! case-folded keys. Nothing of the domain lives here.

use super::*;

/// Is `held` the upper-case form of `id` (what storing `id` would write)?
pub(super) fn is_upper_of(held: &str, id: &str) -> bool {
    held.len() == id.len()
        && held
            .bytes()
            .zip(id.bytes())
            .all(|(h, i)| h == i.to_ascii_uppercase())
}

/// An id hashed and compared without regard to ASCII case, borrowed (torrent
/// hashes: qBittorrent writes them lower-case, the *arr upper-case), with its
/// hash computed once. Keys the per-cycle indexes without a lower-cased copy
/// of each id.
#[derive(Debug, Clone, Copy)]
pub(super) struct NoCase<'a> {
    pub(super) hash: u64,
    pub(super) id: &'a str,
}

impl<'a> NoCase<'a> {
    pub(super) fn new(id: &'a str) -> Self {
        let mut h = FastHasher::default();
        let bytes = id.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0_u8; 8];
            w.copy_from_slice(c);
            h.add(ascii_lower_word(u64::from_le_bytes(w)));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            h.add(ascii_lower_word(tail_word(rest)));
        }
        h.add(bytes.len() as u64);
        NoCase { hash: mix(h.0), id }
    }
}

/// Spreads every bit of `h` over all bits (the finaliser of MurmurHash3):
/// ids that differ only in their last bytes (hex hashes) otherwise differ
/// only in the high bits of the hasher's last multiply, and collide.
pub(super) fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// The eight bytes of `w` ASCII-lower-cased at once (other bytes unchanged).
pub(super) fn ascii_lower_word(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = w & LOW7;
    // Per byte, no carries: the high bit is set when the byte is >= b'A',
    // and when it is > b'Z'.
    let from_a = low + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = low + 0x2525_2525_2525_2525;
    let upper = from_a & !past_z & !w & HIGH;
    w | (upper >> 2)
}

impl PartialEq for NoCase<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && eq_ignore_ascii_case(self.id, other.id)
    }
}

/// The last (fewer than eight) bytes of an id as one word, zero-padded,
/// byte by byte (a copy of a length only known at run time is a call).
pub(super) fn tail_word(rest: &[u8]) -> u64 {
    rest.iter().rev().fold(0, |w, b| (w << 8) | u64::from(*b))
}

/// `a.eq_ignore_ascii_case(b)`, eight bytes at a time.
pub(super) fn eq_ignore_ascii_case(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| {
        let mut w = [0_u8; 8];
        w.copy_from_slice(c);
        ascii_lower_word(u64::from_le_bytes(w))
    };
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    x.by_ref().zip(y.by_ref()).all(|(x, y)| word(x) == word(y))
        && ascii_lower_word(tail_word(x.remainder())) == ascii_lower_word(tail_word(y.remainder()))
}

impl Eq for NoCase<'_> {}

impl Hash for NoCase<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A fast, non-cryptographic hasher (the multiply-rotate scheme of rustc's
/// `FxHasher`) for the per-cycle indexes. Their keys are ids from the user's
/// own services, so hash flooding is no concern; SipHash cost a large share
/// of a cycle.
#[derive(Default, Clone, Copy)]
pub(super) struct FastHasher(u64);

impl FastHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    pub(super) fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0_u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(rest));
        }
    }
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        // hashbrown takes the bucket from the low bits and a tag from the
        // high ones: rotate so both see the well-mixed high bits.
        self.0.rotate_left(26)
    }
}

pub(super) type Fast = BuildHasherDefault<FastHasher>;
pub(super) type FastMap<K, V> = HashMap<K, V, Fast>;
pub(super) type FastSet<T> = HashSet<T, Fast>;

pub(super) fn is_torrent_hash(id: &str) -> bool {
    id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn same_id(a: &str, b: &str) -> bool {
    eq_ignore_ascii_case(a, b)
}
