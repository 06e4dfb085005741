//! The `|`/`,` tracker-list syntax of the BitTornado tools: tiers separated by `|`, URLs within
//! a tier by `,` (for example `http://a,http://b|http://c`).

/// Parses `a,b|c` into tiers of URLs. URLs are whitespace-trimmed; empty URLs and empty tiers are
/// dropped, so `""` and `"|,"` give an empty list.
pub fn parse_tiers(s: &str) -> Vec<Vec<String>> {
    s.split('|').map(parse_urls_in_tier).filter(|tier| !tier.is_empty()).collect()
}

/// Parses a flat `url|url` list (http seeds, url-list): URLs trimmed, empty pieces dropped.
pub fn parse_url_list(s: &str) -> Vec<String> {
    s.split('|').map(str::trim).filter(|u| !u.is_empty()).map(str::to_string).collect()
}

/// Formats tiers as `a,b|c`, the form the BitTornado tools print.
pub fn format_tiers<S: AsRef<str>>(tiers: &[Vec<S>]) -> String {
    tiers
        .iter()
        .map(|tier| tier.iter().map(AsRef::as_ref).collect::<Vec<&str>>().join(","))
        .collect::<Vec<String>>()
        .join("|")
}

/// Drops empty URLs (after trimming) and empty tiers from a tier list.
pub fn normalize_tiers(tiers: Vec<Vec<String>>) -> Vec<Vec<String>> {
    tiers.into_iter().map(normalize_urls).filter(|tier| !tier.is_empty()).collect()
}

/// Trims every URL and drops the empty ones.
pub fn normalize_urls(urls: Vec<String>) -> Vec<String> {
    urls.into_iter().map(|u| u.trim().to_string()).filter(|u| !u.is_empty()).collect()
}

fn parse_urls_in_tier(tier: &str) -> Vec<String> {
    tier.split(',').map(str::trim).filter(|u| !u.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tiers_trimmed_and_drops_empty_pieces() {
        assert_eq!(parse_tiers("a,b|c"), vec![vec!["a", "b"], vec!["c"]]);
        assert_eq!(parse_tiers(" a , b ||, c,|"), vec![vec!["a", "b"], vec!["c"]]);
        assert!(parse_tiers("").is_empty());
        assert!(parse_tiers(" | , ").is_empty());
    }

    #[test]
    fn formats_and_round_trips() {
        let tiers = vec![vec!["http://a/x".to_string(), "udp://b:1".to_string()], vec!["http://c".to_string()]];
        let text = format_tiers(&tiers);
        assert_eq!(text, "http://a/x,udp://b:1|http://c");
        assert_eq!(parse_tiers(&text), tiers);
        assert_eq!(format_tiers::<String>(&[]), "");
    }

    #[test]
    fn flat_lists_and_normalising() {
        assert_eq!(parse_url_list(" u1 || u2|"), vec!["u1", "u2"]);
        assert_eq!(normalize_urls(vec![" x ".into(), "".into()]), vec!["x"]);
        assert_eq!(normalize_tiers(vec![vec![" ".into()], vec!["a".into()]]), vec![vec!["a"]]);
    }
}
