//! The MSE (BEP 8 era encryption) handshake as responder, fed arbitrary bytes in arbitrary
//! pieces: an error or more input wanted, never a panic, and never more consumed than given.
#![no_main]
use bitgocho::wire::mse::{MseHandshake, MseSecret};
use bitgocho::wire::mse::{MsePolicy, CRYPTO_PLAINTEXT, CRYPTO_RC4};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&cut, input)) = data.split_first() else { return };
    let policy = MsePolicy { methods: CRYPTO_PLAINTEXT | CRYPTO_RC4, prefer_rc4: cut & 1 == 1 };
    let mut hs = MseHandshake::responder(policy, MseSecret { private: [7u8; 20], pad: vec![5u8; 16] });
    let known = |_: &[u8; 20]| Some([1u8; 20]);
    let step = usize::from(cut).max(1);
    let mut pending: Vec<u8> = Vec::new();
    for chunk in input.chunks(step) {
        pending.extend_from_slice(chunk);
        match hs.feed(&pending, &known) {
            Ok(used) => {
                assert!(used <= pending.len(), "consumed {used} of {}", pending.len());
                pending.drain(..used);
            }
            Err(_) => return,
        }
        let _ = hs.take_output();
        if hs.is_done() {
            let _ = hs.finish();
            return;
        }
    }
});
