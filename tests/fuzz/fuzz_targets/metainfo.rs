//! .torrent parsing and the metainfo editor on arbitrary bytes: an error, never a panic.
#![no_main]
use bitgocho::metainfo::edit::Editor;
use bitgocho::metainfo::Metainfo;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(meta) = Metainfo::from_bytes(data) {
        let _ = meta.total_length();
        let _ = meta.piece_count();
    }
    let _ = Editor::from_bytes(data);
});
