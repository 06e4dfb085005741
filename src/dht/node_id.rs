//! 160-bit node ids and the XOR metric that orders them.

use std::cmp::Ordering;

/// A DHT node id (the same space as info-hashes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NodeId(pub [u8; 20]);

impl NodeId {
    /// A random id.
    pub fn random() -> NodeId {
        NodeId(rand::random())
    }

    /// The XOR distance to `other`, comparable as a big-endian number.
    pub fn distance(&self, other: &NodeId) -> [u8; 20] {
        std::array::from_fn(|i| self.0[i] ^ other.0[i])
    }

    /// Leading bits shared with `other` (160 for the same id): the routing table's bucket.
    pub fn common_prefix(&self, other: &NodeId) -> usize {
        let d = self.distance(other);
        d.iter().position(|b| *b != 0).map_or(160, |i| i * 8 + d[i].leading_zeros() as usize)
    }

    /// Orders `a` and `b` by their distance to `self`.
    pub fn closer(&self, a: &NodeId, b: &NodeId) -> Ordering {
        self.distance(a).cmp(&self.distance(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_prefix_and_order() {
        let a = NodeId([0u8; 20]);
        let mut b = [0u8; 20];
        b[1] = 0x10;
        let b = NodeId(b);
        assert_eq!(a.common_prefix(&a), 160);
        assert_eq!(a.common_prefix(&b), 8 + 3);
        let mut c = [0u8; 20];
        c[0] = 0x80;
        let c = NodeId(c);
        assert_eq!(a.common_prefix(&c), 0);
        assert_eq!(a.closer(&b, &c), Ordering::Less);
        assert_eq!(a.distance(&b)[1], 0x10);
    }
}
