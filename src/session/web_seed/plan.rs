//! Which HTTP requests fetch a span of the torrent's bytes from a web seed: one request with
//! `ranges` for a BEP 17 seed (a span inside one piece); for a BEP 19 seed one `Range` request
//! per file the span touches (a piece spanning files is several requests), pad files filled with
//! zeros without asking.

use super::url::{file_url, piece_url, SeedKind};

/// One file of the torrent as web seeds see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebFile {
    /// Offset of its first byte in the torrent's byte stream.
    pub offset: u64,
    /// Length in bytes.
    pub length: u64,
    /// A BEP 47 pad file (zeros, never on the server).
    pub pad: bool,
    /// Path elements, the torrent's name first for a multi-file torrent, `[name]` otherwise.
    pub components: Vec<String>,
}

/// What a web seed needs to know about the torrent to build requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The torrent's v1 info-hash (BEP 17).
    pub info_hash: [u8; 20],
    /// Bytes per piece.
    pub piece_length: u64,
    /// Bytes in the torrent, pad files included.
    pub total_length: u64,
    /// Whether the torrent is a directory of files.
    pub multi_file: bool,
    /// The files, in torrent order.
    pub files: Vec<WebFile>,
}

/// Where the bytes of one part of a span come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An HTTP GET of `url`, with a `Range` of file bytes (inclusive) for BEP 19.
    Http {
        /// The URL.
        url: String,
        /// First and last byte inside the file (BEP 19), or `None` (BEP 17: ranges in the URL).
        range: Option<(u64, u64)>,
    },
    /// Zeros (a pad file).
    Zeros,
}

/// One part of a span: its source and where its bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Where the bytes come from.
    pub source: Source,
    /// Offset of its first byte inside the span.
    pub offset: u32,
    /// Its length.
    pub len: u32,
}

/// The parts fetching the `len` torrent bytes at `start` from the seed at `base`, in order;
/// empty when the span is empty or outside the torrent, or, for a BEP 17 seed, not inside one
/// piece.
pub fn plan(kind: SeedKind, base: &str, target: &Target, start: u64, len: u32) -> Vec<Part> {
    let end = start + u64::from(len);
    if len == 0 || end > target.total_length || target.piece_length == 0 {
        return Vec::new();
    }
    match kind {
        SeedKind::HttpSeed => {
            let piece = start / target.piece_length;
            let piece_start = piece * target.piece_length;
            let piece_size = target.piece_length.min(target.total_length - piece_start);
            let (begin, last) = (start - piece_start, end - 1 - piece_start);
            if last >= piece_size {
                return Vec::new();
            }
            let whole = begin == 0 && last + 1 == piece_size;
            let ranges = if whole { Vec::new() } else { vec![(begin as u32, last as u32)] };
            let url = piece_url(base, &target.info_hash, piece as u32, &ranges);
            vec![Part { source: Source::Http { url, range: None }, offset: 0, len }]
        }
        SeedKind::UrlSeed => url_seed_parts(base, target, start, end),
    }
}

fn url_seed_parts(base: &str, target: &Target, start: u64, end: u64) -> Vec<Part> {
    let first = target.files.partition_point(|f| f.offset + f.length <= start);
    let mut parts = Vec::new();
    for f in target.files[first..].iter().take_while(|f| f.offset < end) {
        if f.length == 0 {
            continue;
        }
        let (a, b) = (start.max(f.offset), end.min(f.offset + f.length));
        let part_len = (b - a) as u32;
        let offset = (a - start) as u32;
        let source = if f.pad {
            Source::Zeros
        } else {
            let url = file_url(base, target.multi_file, &f.components);
            Source::Http { url, range: Some((a - f.offset, b - f.offset - 1)) }
        };
        parts.push(Part { source, offset, len: part_len });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(offset: u64, length: u64, pad: bool, path: &[&str]) -> WebFile {
        WebFile { offset, length, pad, components: path.iter().map(|s| s.to_string()).collect() }
    }

    fn target(files: Vec<WebFile>, multi: bool) -> Target {
        let total_length = files.last().map_or(0, |f| f.offset + f.length);
        Target { info_hash: [1; 20], piece_length: 100, total_length, multi_file: multi, files }
    }

    fn http(url: &str, a: u64, b: u64, offset: u32, len: u32) -> Part {
        Part { source: Source::Http { url: url.into(), range: Some((a, b)) }, offset, len }
    }

    #[test]
    fn single_file_piece_is_one_range() {
        let t = target(vec![file(0, 250, false, &["f.bin"])], false);
        assert_eq!(
            plan(SeedKind::UrlSeed, "http://h/f.bin", &t, 100, 100),
            vec![http("http://h/f.bin", 100, 199, 0, 100)]
        );
        // The short last piece, part of it.
        assert_eq!(
            plan(SeedKind::UrlSeed, "http://h/d/", &t, 210, 40),
            vec![http("http://h/d/f.bin", 210, 249, 0, 40)]
        );
        assert!(plan(SeedKind::UrlSeed, "http://h/d/", &t, 210, 41).is_empty(), "past the end");
        assert!(plan(SeedKind::UrlSeed, "http://h/d/", &t, 0, 0).is_empty());
        // A run of pieces is one range too.
        assert_eq!(plan(SeedKind::UrlSeed, "http://h/d/", &t, 0, 250), vec![http("http://h/d/f.bin", 0, 249, 0, 250)]);
    }

    #[test]
    fn piece_spanning_files_is_several_requests_and_pads_are_zeros() {
        let t = target(
            vec![
                file(0, 30, false, &["t", "a"]),
                file(30, 0, false, &["t", "empty"]),
                file(30, 20, true, &["t", ".pad", "20"]),
                file(50, 5, false, &["t", "b c"]),
                file(55, 200, false, &["t", "d", "e"]),
            ],
            true,
        );
        let parts = plan(SeedKind::UrlSeed, "http://h/s", &t, 0, 100);
        assert_eq!(
            parts,
            vec![
                http("http://h/s/t/a", 0, 29, 0, 30),
                Part { source: Source::Zeros, offset: 30, len: 20 },
                http("http://h/s/t/b%20c", 0, 4, 50, 5),
                http("http://h/s/t/d/e", 0, 44, 55, 45),
            ]
        );
        let tail = plan(SeedKind::UrlSeed, "http://h/s/", &t, 120, 60);
        assert_eq!(tail, vec![http("http://h/s/t/d/e", 65, 124, 0, 60)]);
    }

    #[test]
    fn http_seed_names_the_piece_and_ranges_only_for_part_of_it() {
        let t = target(vec![file(0, 250, false, &["f"])], false);
        let whole = plan(SeedKind::HttpSeed, "http://h/seed", &t, 100, 100);
        let Source::Http { url, range: None } = &whole[0].source else { panic!("{whole:?}") };
        assert!(url.ends_with("&piece=1"), "{url}");
        let part = plan(SeedKind::HttpSeed, "http://h/seed", &t, 120, 30);
        let Source::Http { url, .. } = &part[0].source else { panic!("{part:?}") };
        assert!(url.ends_with("&piece=1&ranges=20-49"), "{url}");
        assert_eq!((part[0].offset, part[0].len), (0, 30));
        let last = plan(SeedKind::HttpSeed, "http://h/seed", &t, 200, 50);
        let Source::Http { url, .. } = &last[0].source else { panic!("{last:?}") };
        assert!(url.ends_with("&piece=2"), "the whole short last piece: {url}");
        assert!(plan(SeedKind::HttpSeed, "http://h/seed", &t, 150, 100).is_empty(), "two pieces at once");
    }
}
