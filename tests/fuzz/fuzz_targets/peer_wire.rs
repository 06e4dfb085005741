//! Peer wire decoding (handshake, messages, extension handshake) on arbitrary bytes, as a
//! connection's receive buffer would hold them: an error, never a panic, and never a message
//! longer than the bytes it came from.
#![no_main]
use bitgocho::wire::extended::ExtensionHandshake;
use bitgocho::wire::handshake::Handshake;
use bitgocho::wire::message::Message;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = Handshake::decode(data);
    let _ = Handshake::decode_info_hash(data);
    let _ = ExtensionHandshake::decode(data);
    let mut rest = data;
    while let Ok(Some((_message, used))) = Message::decode(rest, 1 << 17) {
        assert!(used > 0 && used <= rest.len(), "decoded {used} of {} bytes", rest.len());
        rest = &rest[used..];
    }
});
