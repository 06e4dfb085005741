//! Web seed URLs: the file URL of a BEP 19 (`url-list`, GetRight style) seed and the piece URL
//! of a BEP 17 (`httpseeds`, Hoffman style) seed.

use crate::announce::url::percent_encode;

/// The two kinds of HTTP seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeedKind {
    /// BEP 17 `httpseeds`: a script serving pieces by info-hash, piece number and ranges.
    HttpSeed,
    /// BEP 19 `url-list`: a plain web server holding the torrent's files.
    UrlSeed,
}

/// Percent-encodes one path element (every byte but RFC 3986 unreserved characters).
fn encode_element(element: &str, out: &mut String) {
    percent_encode(element.as_bytes(), out);
}

/// The URL of one file of a torrent on a BEP 19 web seed `base`.
///
/// `components` are the file's path elements as the torrent names them, the torrent's name first
/// for a multi-file torrent (`[name, dir.., file]`) and just `[name]` for a single-file one. A
/// single-file torrent's URL is `base` itself unless `base` ends with `/`, in which case the
/// name is appended; for a multi-file torrent `base` is a directory (a `/` is added when
/// missing, as libtorrent does) holding the torrent's directory. Each element is
/// percent-encoded.
pub fn file_url(base: &str, multi_file: bool, components: &[String]) -> String {
    let mut url = base.to_string();
    if !multi_file && !base.ends_with('/') {
        return url;
    }
    if !url.ends_with('/') {
        url.push('/');
    }
    for (i, c) in components.iter().enumerate() {
        if i > 0 {
            url.push('/');
        }
        encode_element(c, &mut url);
    }
    url
}

/// The URL asking a BEP 17 seed `base` for bytes of `piece`: `ranges` are inclusive byte
/// offsets inside the piece (`first-last`), omitted when empty (the whole piece).
pub fn piece_url(base: &str, info_hash: &[u8; 20], piece: u32, ranges: &[(u32, u32)]) -> String {
    let mut url = base.to_string();
    url.push(if base.contains('?') { '&' } else { '?' });
    url.push_str("info_hash=");
    percent_encode(info_hash, &mut url);
    url.push_str(&format!("&piece={piece}"));
    if !ranges.is_empty() {
        let list: Vec<String> = ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
        url.push_str("&ranges=");
        url.push_str(&list.join(","));
    }
    url
}

/// Whether `url` can be used as a web seed (`http://` or `https://` with a host); the reason
/// otherwise.
pub fn check_url(url: &str) -> Result<(), String> {
    match crate::announce::TrackerUrl::parse(url) {
        Ok(u) if u.scheme == "http" || u.scheme == "https" => Ok(()),
        Ok(u) => Err(format!("{} web seeds are not supported", u.scheme)),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn single_file_uses_the_url_or_appends_the_name() {
        assert_eq!(file_url("http://h/files/data.iso", false, &v(&["x.iso"])), "http://h/files/data.iso");
        assert_eq!(file_url("http://h/files/", false, &v(&["my file.iso"])), "http://h/files/my%20file.iso");
    }

    #[test]
    fn multi_file_appends_name_and_path_encoded() {
        let parts = v(&["Ünï cödé", "sub dir", "a&b?c#d%e+f.txt"]);
        let want = "http://h:8080/seed/%C3%9Cn%C3%AF%20c%C3%B6d%C3%A9/sub%20dir/a%26b%3Fc%23d%25e%2Bf.txt";
        assert_eq!(file_url("http://h:8080/seed/", true, &parts), want);
        assert_eq!(file_url("http://h:8080/seed", true, &parts), want, "a slash is added");
        assert_eq!(file_url("http://h/", true, &v(&["t", "a-b_c.~d"])), "http://h/t/a-b_c.~d");
    }

    #[test]
    fn piece_urls_carry_hash_piece_and_inclusive_ranges() {
        let mut hash = [0u8; 20];
        hash[0] = 0xab;
        hash[19] = b'z';
        let enc = "%AB%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00z";
        assert_eq!(piece_url("http://h/seed.php", &hash, 7, &[]), format!("http://h/seed.php?info_hash={enc}&piece=7"));
        assert_eq!(
            piece_url("http://h/s?id=1", &hash, 0, &[(0, 16383), (32768, 49151)]),
            format!("http://h/s?id=1&info_hash={enc}&piece=0&ranges=0-16383,32768-49151")
        );
    }

    #[test]
    fn only_http_and_https_are_usable() {
        assert!(check_url("http://127.0.0.1:1/x").is_ok());
        assert!(check_url("https://h/x").is_ok());
        assert!(check_url("udp://h:1/x").unwrap_err().contains("udp"));
        assert!(check_url("ftp://h/x").is_err());
        assert!(check_url("http:///x").is_err());
    }
}
