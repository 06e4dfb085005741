//! Address sets: `allowed_ips` (subnets, IPv4 and IPv6) and `banned_ips` (PeerGuardian
//! `label:first-last` ranges), as sorted merged ranges searched by binary search; and the
//! local-network test behind `only_local_override_ip` and NAT-check exemption.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A set of addresses as sorted, non-overlapping inclusive ranges over the IPv6 space (IPv4
/// addresses are mapped to `::ffff:a.b.c.d`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpSet {
    ranges: Vec<(u128, u128)>,
    /// Lines that could not be read, as `line N: text` (kept for a warning).
    pub bad_lines: Vec<String>,
}

/// Converts an address to its place in the mapped IPv6 space.
pub fn ip_key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// The address as IPv4 when it is IPv4 or IPv4-mapped IPv6.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// True for loopback, private (RFC 1918, RFC 4193), link-local and unspecified addresses: the
/// "local network" of BitTornado's `is_local_ip`.
pub fn is_local_ip(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified(),
        IpAddr::V6(v6) => {
            let seg0 = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || (seg0 & 0xfe00) == 0xfc00 || (seg0 & 0xffc0) == 0xfe80
        }
    }
}

fn parse_subnet(s: &str) -> Option<(u128, u128)> {
    let (addr, len) = match s.split_once('/') {
        Some((a, l)) => (a.trim(), Some(l.trim().parse::<u32>().ok()?)),
        None => (s, None),
    };
    let (base, bits) = if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        let l = len.unwrap_or(32);
        if l > 32 {
            return None;
        }
        (ip_key(IpAddr::V4(v4)), 96 + l)
    } else {
        let v6 = addr.parse::<Ipv6Addr>().ok()?;
        let l = len.unwrap_or(128);
        if l > 128 {
            return None;
        }
        (u128::from(v6), l)
    };
    let host_mask = if bits == 0 { u128::MAX } else { (1u128 << (128 - bits)).wrapping_sub(1) };
    let host_mask = if bits == 128 { 0 } else { host_mask };
    Some((base & !host_mask, base | host_mask))
}

fn parse_range(s: &str) -> Option<(u128, u128)> {
    let (a, b) = s.split_once('-')?;
    let a = ip_key(a.trim().parse().ok()?);
    let b = ip_key(b.trim().parse().ok()?);
    (a <= b).then_some((a, b))
}

/// An eMule DAT line, `first - last , level , label`: `Some(None)` for a range allowed (level
/// above 127), `None` when the line is not one.
fn parse_dat(line: &str) -> Option<Option<(u128, u128)>> {
    let mut fields = line.split(',');
    let (range, level) = (fields.next()?, fields.next()?);
    let level: u32 = level.trim().parse().ok()?;
    let (a, b) = range.split_once('-')?;
    let (a, b) = (padded_v4(a.trim())?, padded_v4(b.trim())?);
    let (a, b) = (ip_key(IpAddr::V4(a)), ip_key(IpAddr::V4(b)));
    if a > b {
        return None;
    }
    Some((level <= 127).then_some((a, b)))
}

/// An IPv4 address whose octets may be zero-padded (`001.002.003.004`).
fn padded_v4(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for o in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = part.parse().ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

impl IpSet {
    /// Reads an `allowed_ips` file: one address or `address/prefix` per line; `#` comments and
    /// blank lines are skipped, unreadable lines recorded in `bad_lines`.
    pub fn from_subnets(text: &str) -> IpSet {
        IpSet::from_lines(text, |line| parse_subnet(line).or_else(|| parse_range(line)).map(Some))
    }

    /// Reads a `banned_ips` file or a peer blocklist: PeerGuardian `label:first-last` lines (the
    /// label is optional), subnets, and eMule DAT lines (`first - last , level , label`, octets
    /// zero-padded), whose ranges with an access level above 127 are allowed, not blocked.
    pub fn from_ranges(text: &str) -> IpSet {
        IpSet::from_lines(text, |line| {
            if let Some(dat) = parse_dat(line) {
                return Some(dat);
            }
            parse_range(line)
                .or_else(|| line.rsplit_once(':').and_then(|(_, r)| parse_range(r)))
                .or_else(|| parse_subnet(line))
                .map(Some)
        })
    }

    /// Parses each line that is not blank or a `#` comment: `Some(range)` goes in the set,
    /// `Some(None)` is a valid line that adds nothing, `None` an unreadable line.
    fn from_lines(text: &str, parse: impl Fn(&str) -> Option<Option<(u128, u128)>>) -> IpSet {
        let mut set = IpSet::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            match parse(line) {
                Some(Some(r)) => set.ranges.push(r),
                Some(None) => {}
                None => set.bad_lines.push(format!("line {}: {}", i + 1, line)),
            }
        }
        set.normalise();
        set
    }

    fn normalise(&mut self) {
        self.ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(self.ranges.len());
        for &(a, b) in &self.ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        self.ranges = merged;
    }

    /// True when `ip` is in the set.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let k = ip_key(ip);
        let i = self.ranges.partition_point(|&(a, _)| a <= k);
        i > 0 && self.ranges[i - 1].1 >= k
    }

    /// Number of merged ranges.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// True when the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn subnets_v4_and_v6() {
        let set = IpSet::from_subnets("# allowed\n10.0.0.0/8\n192.168.1.7\n2001:db8::/32\nnot an ip\n1.2.3.4/33\n");
        assert!(set.contains(ip("10.255.0.1")));
        assert!(set.contains(ip("::ffff:10.1.1.1")), "mapped addresses match their IPv4 subnet");
        assert!(set.contains(ip("192.168.1.7")));
        assert!(!set.contains(ip("192.168.1.8")));
        assert!(set.contains(ip("2001:db8:ffff::1")));
        assert!(!set.contains(ip("2001:db9::1")));
        assert!(!set.contains(ip("11.0.0.0")));
        assert_eq!(set.bad_lines.len(), 2);
    }

    #[test]
    fn peerguardian_ranges() {
        let set =
            IpSet::from_ranges("Some Org: a:b:1.2.3.0-1.2.3.255\nBad:9.9.9.9-9.9.9.1\n5.5.5.5-5.5.5.6\n0.0.0.0/0\n");
        assert_eq!(set.bad_lines.len(), 1, "reversed range");
        assert!(set.contains(ip("1.2.3.128")));
        assert!(set.contains(ip("5.5.5.6")));
        assert!(set.contains(ip("200.1.1.1")), "0.0.0.0/0 covers all IPv4");
        assert!(!set.contains(ip("::1")));
        let small = IpSet::from_ranges("x:1.2.3.0-1.2.3.255\n");
        assert!(!small.contains(ip("1.2.4.0")) && !small.contains(ip("1.2.2.255")));
    }

    #[test]
    fn emule_dat_lines_with_their_access_level() {
        let text = "001.002.003.000 - 001.002.003.255 , 000 , Some Org\n\
                    010.000.000.000 - 010.000.000.255 , 200 , allowed\n\
                    009.009.009.009 - 009.009.009.001 , 000 , reversed\n\
                    1.2.3.4 - 1.2.3 , 000 , short\n";
        let set = IpSet::from_ranges(text);
        assert_eq!(set.bad_lines.len(), 2, "{:?}", set.bad_lines);
        assert!(set.contains(ip("1.2.3.77")) && !set.contains(ip("1.2.4.0")));
        assert!(!set.contains(ip("10.0.0.5")), "level above 127 is allowed");
    }

    #[test]
    fn overlapping_ranges_merge() {
        let set = IpSet::from_ranges("1.0.0.0-1.0.0.10\n1.0.0.5-1.0.0.20\n1.0.0.21-1.0.0.30\n");
        assert_eq!(set.len(), 1);
        assert!(set.contains(ip("1.0.0.30")) && !set.contains(ip("1.0.0.31")));
    }

    #[test]
    fn local_addresses() {
        for s in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1"]
        {
            assert!(is_local_ip(ip(s)), "{s}");
        }
        for s in ["8.8.8.8", "2001:db8::1", "172.32.0.1"] {
            assert!(!is_local_ip(ip(s)), "{s}");
        }
        assert_eq!(canonical_ip(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
    }
}
