//! The AES-256 security handler (revision 6, and Adobe's revision 5 before it):
//! from the password to the file key, with the password hash run once.
//!
//! ISO 32000-2, 7.6.4.3: the file key lies in `/UE` (`/OE` for the owner),
//! encrypted with a key hashed from the password and `/U`'s key salt
//! (Algorithm 2.A). Algorithm 2.B, that hash, is made slow on purpose (at least
//! 64 rounds of AES and SHA-2 over 64 copies of the input), so it is the cost of
//! opening these files: lopdf runs it seven times per file, we run it once.
//! The spec checks the password with a second hash (over the validation salt);
//! we check the key it yields against `/Perms` instead, which Algorithm 13 keeps
//! for that purpose: the permissions and "adb", encrypted with the file key. A
//! wrong password passes that check with a chance of 2⁻⁵⁶. Only when `/Perms`
//! does not decrypt as it should do we fall back to the validation hash.

use aes::cipher::array::Array;
use aes::cipher::{BlockCipherDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use aes::{Aes128, Aes256};
use lopdf::encryption::crypt_filters::{Aes256CryptFilter, CryptFilter};
use lopdf::{Dictionary, Object, Stream};
use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::error::ParseError;

/// Passwords are cut to this many bytes of UTF-8 (Algorithm 2.A, step a).
const MAX_PASSWORD_BYTES: usize = 127;

/// What the encryption dictionary holds for revisions 5 and 6.
#[derive(Debug, Clone)]
pub(super) struct KeyEntries {
    revision: i64,
    /// `/O`: owner hash (32), validation salt (8), key salt (8).
    owner: [u8; 48],
    /// `/U`: the same for the user password.
    user: [u8; 48],
    /// `/OE` and `/UE`: the file key encrypted for the owner and for the user.
    owner_encrypted: [u8; 32],
    user_encrypted: [u8; 32],
    /// `/Perms`, when present and the right size.
    perms: Option<[u8; 16]>,
    /// `/P`, the low 32 bits, as `/Perms` repeats them.
    permissions: u32,
}

impl KeyEntries {
    pub(super) fn from_dictionary(dict: &Dictionary) -> Result<Self, ParseError> {
        Ok(KeyEntries {
            revision: dict.get(b"R").and_then(Object::as_i64).unwrap_or(0),
            owner: leading(dict, b"O")?,
            user: leading(dict, b"U")?,
            owner_encrypted: leading(dict, b"OE")?,
            user_encrypted: leading(dict, b"UE")?,
            perms: leading(dict, b"Perms").ok(),
            permissions: dict.get(b"P").and_then(Object::as_i64).unwrap_or(0) as u32,
        })
    }

    /// The 32-byte file key that `password` (user's or owner's) unlocks, or
    /// [`ParseError::InvalidPassword`].
    pub(super) fn file_key(&self, password: &str) -> Result<[u8; 32], ParseError> {
        let password = prepare_password(password)?;
        // The user password first: a CAS is opened with the investor's.
        self.try_entry(&password, &self.user, &self.user_encrypted, &[])
            .or_else(|| self.try_entry(&password, &self.owner, &self.owner_encrypted, &self.user))
            .ok_or(ParseError::InvalidPassword)
    }

    /// The file key from one of the two entries, if `password` is its password.
    /// `user_key` is `/U` for the owner entry (its hashes cover it), empty for the user one.
    fn try_entry(
        &self,
        password: &[u8],
        entry: &[u8; 48],
        encrypted_key: &[u8; 32],
        user_key: &[u8],
    ) -> Option<[u8; 32]> {
        let (stored_hash, rest) = entry.split_at(32);
        let (validation_salt, key_salt) = rest.split_at(8);
        let intermediate = hash(self.revision, password, key_salt, user_key);
        let key = decrypt_key(&intermediate, encrypted_key);
        let genuine = self.perms_match(&key)
            || hash(self.revision, password, validation_salt, user_key) == stored_hash;
        genuine.then_some(key)
    }

    /// Algorithm 13: `/Perms` decrypts with the file key to `/P` (low 32 bits,
    /// little-endian) and "adb" at bytes 9 to 11.
    fn perms_match(&self, key: &[u8; 32]) -> bool {
        let Some(perms) = self.perms else {
            return false;
        };
        let mut block = Array::from(perms);
        Aes256::new(&Array::from(*key)).decrypt_block(&mut block);
        block[..4] == self.permissions.to_le_bytes() && &block[9..12] == b"adb"
    }
}

/// Nesting beyond which strings are left alone (lopdf's parser nests far less).
const MAX_DEPTH: usize = 64;

/// Decrypts a revision-6 file's strings and streams with its file key: AES-256-CBC,
/// the IV before the ciphertext, PKCS#5 padding (ISO 32000-2, 7.6.3).
pub(super) struct ObjectCipher {
    key: [u8; 32],
    /// Whether `/StrF` and `/StmF` name an AESV3 filter, not Identity.
    strings: bool,
    streams: bool,
    /// `/EncryptMetadata`: false leaves the XMP metadata stream in the clear.
    metadata: bool,
    /// The `/CF` filters that are AESV3, for streams naming their own.
    aes_filters: Vec<Vec<u8>>,
}

impl ObjectCipher {
    pub(super) fn new(dict: &Dictionary, key: [u8; 32]) -> Result<Self, ParseError> {
        let mut aes_filters = Vec::new();
        if let Ok(filters) = dict.get(b"CF").and_then(Object::as_dict) {
            for (name, filter) in filters {
                let method = filter
                    .as_dict()
                    .and_then(|f| f.get(b"CFM"))
                    .and_then(Object::as_name)
                    .unwrap_or(b"Identity");
                match method {
                    b"AESV3" => aes_filters.push(name.clone()),
                    b"Identity" | b"None" => {}
                    other => {
                        return Err(ParseError::InvalidPdf(format!(
                            "AES-256 encryption with a {:?} crypt filter",
                            String::from_utf8_lossy(other)
                        )));
                    }
                }
            }
        }
        let default_is_aes = |entry: &[u8]| {
            let name = dict
                .get(entry)
                .and_then(Object::as_name)
                .unwrap_or(b"Identity");
            aes_filters.iter().any(|f| f == name)
        };
        Ok(ObjectCipher {
            key,
            strings: default_is_aes(b"StrF"),
            streams: default_is_aes(b"StmF"),
            metadata: dict
                .get(b"EncryptMetadata")
                .and_then(Object::as_bool)
                .unwrap_or(true),
            aes_filters,
        })
    }

    /// Decrypts one indirect object in place. What does not decrypt (a wrong
    /// length, bad padding) becomes empty: it carries no text we could read.
    pub(super) fn decrypt_object(&self, object: &mut Object) {
        match object {
            Object::Stream(stream) => {
                // Cross-reference streams are never encrypted, dictionary included.
                if stream.dict.has_type(b"XRef") {
                    return;
                }
                self.decrypt_dictionary(&mut stream.dict, 0);
                if self.stream_is_encrypted(stream) {
                    let plain = self.decrypt_bytes(&stream.content);
                    stream.set_content(plain);
                }
            }
            other => self.decrypt_value(other, 0),
        }
    }

    fn decrypt_value(&self, object: &mut Object, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match object {
            Object::String(bytes, _) if self.strings => *bytes = self.decrypt_bytes(bytes),
            Object::Array(items) => {
                for item in items {
                    self.decrypt_value(item, depth + 1);
                }
            }
            Object::Dictionary(dict) => self.decrypt_dictionary(dict, depth + 1),
            _ => {}
        }
    }

    fn decrypt_dictionary(&self, dict: &mut Dictionary, depth: usize) {
        // A signature's /Contents is written in the clear (7.6.2).
        let signature = dict.has_type(b"Sig")
            || dict.has_type(b"DocTimeStamp")
            || (dict.has(b"ByteRange") && dict.has(b"Contents"));
        for (key, value) in dict.iter_mut() {
            if !(signature && key == b"Contents") {
                self.decrypt_value(value, depth);
            }
        }
    }

    fn stream_is_encrypted(&self, stream: &Stream) -> bool {
        if !self.metadata && stream.dict.has_type(b"Metadata") {
            return false;
        }
        // A /Crypt filter names the stream's own crypt filter (Identity when unnamed).
        if stream.filters().is_ok_and(|f| f.contains(&&b"Crypt"[..])) {
            let name = stream
                .dict
                .get(b"DecodeParms")
                .and_then(Object::as_dict)
                .and_then(|p| p.get(b"Name"))
                .and_then(Object::as_name)
                .unwrap_or(b"Identity");
            return self.aes_filters.iter().any(|f| f == name);
        }
        self.streams
    }

    fn decrypt_bytes(&self, data: &[u8]) -> Vec<u8> {
        Aes256CryptFilter
            .decrypt(&self.key, data)
            .unwrap_or_default()
    }
}

/// The first `N` bytes of the string `/key` (producers pad `/O` and `/U` past 48
/// bytes at times; what counts is the start).
fn leading<const N: usize>(dict: &Dictionary, key: &[u8]) -> Result<[u8; N], ParseError> {
    dict.get(key)
        .and_then(Object::as_str)
        .ok()
        .and_then(|value| value.get(..N)?.try_into().ok())
        .ok_or_else(|| {
            ParseError::InvalidPdf(format!(
                "the AES-256 encryption dictionary has no /{} of {N} bytes or more",
                String::from_utf8_lossy(key)
            ))
        })
}

/// SASLprep, then UTF-8 cut to 127 bytes (Algorithm 2.A, step a).
fn prepare_password(password: &str) -> Result<Vec<u8>, ParseError> {
    let prepared = stringprep::saslprep(password).map_err(|_| ParseError::InvalidPassword)?;
    let bytes = prepared.as_bytes();
    Ok(bytes[..bytes.len().min(MAX_PASSWORD_BYTES)].to_vec())
}

/// `/UE` or `/OE` decrypted: AES-256-CBC, zero IV, no padding, so each block
/// is its decryption XORed with the block before it.
fn decrypt_key(intermediate: &[u8; 32], encrypted: &[u8; 32]) -> [u8; 32] {
    let cipher = Aes256::new(&Array::from(*intermediate));
    let mut key = [0u8; 32];
    let mut previous = [0u8; 16];
    for (plain, block) in key.chunks_exact_mut(16).zip(encrypted.chunks_exact(16)) {
        let mut b = Array::<u8, _>::try_from(block).expect("16-byte block");
        cipher.decrypt_block(&mut b);
        for ((p, d), c) in plain.iter_mut().zip(b.iter()).zip(previous) {
            *p = d ^ c;
        }
        previous.copy_from_slice(block);
    }
    key
}

/// Algorithm 2.B: the hash of `password`, `salt` and `user_key` (revision 5:
/// plain SHA-256 of them).
fn hash(revision: i64, password: &[u8], salt: &[u8], user_key: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    let start = Sha256::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(user_key)
        .finalize();
    k[..32].copy_from_slice(&start);
    if revision == 5 {
        return k[..32].try_into().expect("32 bytes");
    }
    let mut k_len = 32;
    // K1 is 64 copies of password + K + user key: whole AES blocks whatever their lengths.
    let mut k1 = Vec::with_capacity(64 * (password.len() + 64 + user_key.len()));
    let mut round: u32 = 0;
    loop {
        round += 1;
        k1.clear();
        for _ in 0..64 {
            k1.extend_from_slice(password);
            k1.extend_from_slice(&k[..k_len]);
            k1.extend_from_slice(user_key);
        }
        let key = Array::<u8, _>::try_from(&k[..16]).expect("16 bytes");
        let iv = Array::<u8, _>::try_from(&k[16..32]).expect("16 bytes");
        let (blocks, _) = Array::slice_as_chunks_mut(&mut k1);
        // One call for the whole buffer, so the cipher's CPU dispatch happens once.
        cbc::Encryptor::<Aes128>::new(&key, &iv).encrypt_blocks(blocks);
        let e = &k1;
        // E's first 16 bytes as a big-endian number mod 3 = their sum mod 3 (256 ≡ 1).
        k_len = match e[..16].iter().map(|&b| u32::from(b)).sum::<u32>() % 3 {
            0 => {
                k[..32].copy_from_slice(&Sha256::digest(e));
                32
            }
            1 => {
                k[..48].copy_from_slice(&Sha384::digest(e));
                48
            }
            _ => {
                k[..64].copy_from_slice(&Sha512::digest(e));
                64
            }
        };
        let last = u32::from(*e.last().expect("K1 is never empty"));
        if round >= 64 && last <= round - 32 {
            break;
        }
    }
    k[..32].try_into().expect("32 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture as lopdf loads it without a password (its objects still encrypted).
    fn fixture(name: &str) -> lopdf::Document {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        lopdf::Document::load_mem(&std::fs::read(path).unwrap()).unwrap()
    }

    fn entries_of(name: &str) -> KeyEntries {
        let doc = fixture(name);
        let id = doc.trailer.get(b"Encrypt").unwrap().as_reference().unwrap();
        KeyEntries::from_dictionary(doc.get_dictionary(id).unwrap()).unwrap()
    }

    /// The key we derive is the one lopdf derives (it follows the spec step by step).
    #[test]
    fn file_key_matches_lopdf() {
        let state =
            lopdf::EncryptionState::decode(&fixture("nsdl_aes256.pdf"), "ABCDE1234F").unwrap();
        let ours = entries_of("nsdl_aes256.pdf")
            .file_key("ABCDE1234F")
            .unwrap();
        assert_eq!(&ours[..], state.file_encryption_key());
    }

    /// The owner password opens the file too, to the same key (the fixture generator
    /// derives it from the seed: `owner-` and 64 bits of `Random("owner:1")`).
    #[test]
    fn owner_password_unlocks_the_same_key() {
        let entries = entries_of("cams_aes256.pdf");
        let user = entries.file_key("Demo@1234").unwrap();
        assert_eq!(entries.file_key("owner-8ec9f79788d177ad").unwrap(), user);
    }

    #[test]
    fn wrong_password_is_refused() {
        let entries = entries_of("cams_aes256.pdf");
        assert!(matches!(
            entries.file_key("Demo@1235"),
            Err(ParseError::InvalidPassword)
        ));
        assert!(matches!(
            entries.file_key(""),
            Err(ParseError::InvalidPassword)
        ));
    }

    /// Without `/Perms` the validation hash decides, and decides the same.
    #[test]
    fn without_perms_the_validation_hash_checks_the_password() {
        let mut entries = entries_of("cams_aes256.pdf");
        let with_perms = entries.file_key("Demo@1234").unwrap();
        entries.perms = None;
        assert_eq!(entries.file_key("Demo@1234").unwrap(), with_perms);
        assert!(matches!(
            entries.file_key("demo@1234"),
            Err(ParseError::InvalidPassword)
        ));
    }

    /// A damaged `/Perms` does not lock out the right password.
    #[test]
    fn damaged_perms_fall_back_to_the_validation_hash() {
        let mut entries = entries_of("cams_aes256.pdf");
        let key = entries.file_key("Demo@1234").unwrap();
        entries.perms = Some([0; 16]);
        assert_eq!(entries.file_key("Demo@1234").unwrap(), key);
    }

    /// An `/O`, `/U`, `/OE` or `/UE` too short to hold its parts is a broken file.
    #[test]
    fn short_key_entries_are_invalid_pdf() {
        let doc = fixture("cams_aes256.pdf");
        let id = doc.trailer.get(b"Encrypt").unwrap().as_reference().unwrap();
        let mut dict = doc.get_dictionary(id).unwrap().clone();
        dict.set("UE", Object::string_literal(vec![0u8; 31]));
        assert!(matches!(
            KeyEntries::from_dictionary(&dict),
            Err(ParseError::InvalidPdf(_))
        ));
    }

    /// Revision 5's hash is SHA-256 alone.
    #[test]
    fn revision_5_hash_is_plain_sha256() {
        let expected = Sha256::digest(b"pwsaltsalt");
        assert_eq!(hash(5, b"pw", b"saltsalt", &[])[..], expected[..]);
        assert_ne!(hash(6, b"pw", b"saltsalt", &[])[..], expected[..]);
    }
}
