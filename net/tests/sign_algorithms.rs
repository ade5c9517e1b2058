//! The algorithm tables of the signature interface.

use segur_net::sign::{HashAlgorithm, SignatureAlgorithm};

#[test]
fn hashes_and_digest_info_prefixes() {
    assert_eq!(SignatureAlgorithm::RsaPkcs1Sha1.hash(), HashAlgorithm::Sha1);
    assert_eq!(
        SignatureAlgorithm::EcdsaP256Sha256.hash(),
        HashAlgorithm::Sha256
    );
    assert!(SignatureAlgorithm::RsaPssSha256.is_pss());
    assert!(!SignatureAlgorithm::RsaPkcs1Sha256.is_pss());
    for h in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
        let p = h.digest_info_prefix();
        // DigestInfo SEQUENCE length covers the prefix rest plus the digest (RFC 8017 §9.2).
        assert_eq!(p[1] as usize, p.len() - 2 + h.output_len());
        assert_eq!(p[p.len() - 1] as usize, h.output_len());
    }
}
