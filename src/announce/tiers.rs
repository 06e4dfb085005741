//! Multitracker tiers (BEP 12): trackers grouped in tiers, each tier shuffled once, tiers tried
//! in order, and a tracker that answers moved to the front of its tier.

use rand::seq::SliceRandom;
use rand::Rng;

/// The trackers of one torrent in the order they are to be tried.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackerTiers {
    tiers: Vec<Vec<String>>,
}

impl TrackerTiers {
    /// Builds the tiers from `announce-list` (each tier shuffled with `rng`) or, when that is
    /// empty, from the single `announce` URL. Empty URLs and duplicates are dropped.
    pub fn new(announce: Option<&str>, announce_list: &[Vec<String>], rng: &mut impl Rng) -> Self {
        let mut seen = std::collections::HashSet::new();
        let mut tiers: Vec<Vec<String>> = announce_list
            .iter()
            .map(|tier| {
                let mut t: Vec<String> = tier
                    .iter()
                    .map(|u| u.trim().to_string())
                    .filter(|u| !u.is_empty() && seen.insert(u.clone()))
                    .collect();
                t.shuffle(rng);
                t
            })
            .filter(|t| !t.is_empty())
            .collect();
        if tiers.is_empty() {
            if let Some(a) = announce.map(str::trim).filter(|a| !a.is_empty()) {
                tiers.push(vec![a.to_string()]);
            }
        }
        TrackerTiers { tiers }
    }

    /// Every tracker in trying order, as (tier, index, url).
    pub fn iter(&self) -> impl Iterator<Item = (usize, usize, &str)> {
        self.tiers
            .iter()
            .enumerate()
            .flat_map(|(t, tier)| tier.iter().enumerate().map(move |(i, u)| (t, i, u.as_str())))
    }

    /// The tiers.
    pub fn tiers(&self) -> &[Vec<String>] {
        &self.tiers
    }

    /// True when there is no tracker at all.
    pub fn is_empty(&self) -> bool {
        self.tiers.is_empty()
    }

    /// Adds tracker `url` at the end of tier `tier` (a new last tier when `tier` is past the
    /// last); false when it is listed already.
    pub fn add(&mut self, url: &str, tier: usize) -> bool {
        let url = url.trim();
        if url.is_empty() || self.iter().any(|(_, _, u)| u == url) {
            return false;
        }
        match self.tiers.get_mut(tier) {
            Some(t) => t.push(url.to_string()),
            None => self.tiers.push(vec![url.to_string()]),
        }
        true
    }

    /// Records that the tracker at (tier, index) answered: it moves to the front of its tier.
    pub fn answered(&mut self, tier: usize, index: usize) {
        if let Some(t) = self.tiers.get_mut(tier) {
            if index < t.len() {
                let url = t.remove(index);
                t.insert(0, url);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn tiers_shuffle_and_move_to_front() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let list = vec![vec!["a".to_string(), "b".into(), "c".into()], vec![" ".into()], vec!["d".into(), "a".into()]];
        let mut t = TrackerTiers::new(Some("x"), &list, &mut rng);
        assert_eq!(t.tiers().len(), 2);
        let mut first: Vec<&str> = t.tiers()[0].iter().map(String::as_str).collect();
        first.sort();
        assert_eq!(first, ["a", "b", "c"]);
        assert_eq!(t.tiers()[1], ["d"]);
        let last = t.tiers()[0][2].clone();
        t.answered(0, 2);
        assert_eq!(t.tiers()[0][0], last);
        assert_eq!(t.iter().count(), 4);
        let single = TrackerTiers::new(Some(" http://t/a "), &[], &mut rng);
        assert_eq!(single.iter().map(|(_, _, u)| u).collect::<Vec<_>>(), ["http://t/a"]);
        assert!(TrackerTiers::new(None, &[], &mut rng).is_empty());
    }

    #[test]
    fn trackers_added_later_join_a_tier_or_start_one() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let mut t = TrackerTiers::new(None, &[], &mut rng);
        assert!(t.add(" http://a/ann ", 3), "a tier past the end starts a new one");
        assert!(t.add("udp://b:80", 0));
        assert!(!t.add("http://a/ann", 0), "already listed");
        assert!(t.add("http://c/ann", 7));
        let urls: Vec<(usize, &str)> = t.iter().map(|(tier, _, u)| (tier, u)).collect();
        assert_eq!(urls, [(0, "http://a/ann"), (0, "udp://b:80"), (1, "http://c/ann")]);
    }
}
