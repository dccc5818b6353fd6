//! Loading a statement and undoing its encryption (the PDF standard security handler).
//!
//! lopdf parses the file. Decryption happens here, because lopdf's own, for the
//! AES-256 files CAMS and KFintech send (revision 6), runs the deliberately slow
//! password hash seven times per file (it tries the empty password, checks owner
//! and user eagerly, then both again while deriving the key): 10 of the 11 ms a
//! parse took. So lopdf reads the file with its `/Encrypt` entry hidden, as if it
//! were not encrypted, which leaves every string and stream as ciphertext; then
//! the key is derived once ([`revision6`]) and the objects decrypted. Revisions 2
//! to 4 hash cheaply: lopdf's `EncryptionState` derives their key and decrypts.

mod revision6;

use lopdf::encryption::{PasswordAlgorithm, decrypt_object};
use lopdf::{Document, EncryptionState, LoadOptions, Object, ObjectId, ObjectStream};
use memchr::memmem;

use crate::error::ParseError;

/// The trailer key naming the encryption dictionary, and what it becomes while
/// lopdf reads the file: the same length, so every offset in the file still holds.
const ENCRYPT_KEY: &[u8] = b"/Encrypt";
const HIDDEN_ENCRYPT_KEY: &[u8] = b"/Xncrypt";

/// Parses `bytes` and decrypts them with `password` (user's or owner's; the
/// empty password is tried too, as readers do for files protected by an owner
/// password alone). No single stream may inflate past `max_stream_bytes`.
pub(crate) fn load(
    bytes: &[u8],
    password: &str,
    max_stream_bytes: usize,
) -> Result<Document, ParseError> {
    let Some(hidden) = hide_encrypt_entries(bytes) else {
        return load_unencrypted(bytes, max_stream_bytes);
    };
    let mut doc = parse(&hidden, max_stream_bytes)?;
    let Some(entry) = doc.trailer.remove(&HIDDEN_ENCRYPT_KEY[1..]) else {
        // The `/Encrypt` hidden was not the trailer's: read the file as it is.
        return load_unencrypted(bytes, max_stream_bytes);
    };
    let (encrypt_id, dict) = match &entry {
        Object::Reference(id) => (
            Some(*id),
            doc.get_dictionary(*id)
                .map_err(|_| invalid("the encryption dictionary is missing"))?
                .clone(),
        ),
        Object::Dictionary(dict) => (None, dict.clone()),
        _ => return Err(invalid("/Encrypt is not a dictionary")),
    };
    let handler = dict.get(b"Filter").and_then(Object::as_name).unwrap_or(b"");
    if handler != b"Standard" {
        return Err(ParseError::InvalidPdf(format!(
            "encrypted with the {:?} security handler; only password encryption (Standard) opens",
            String::from_utf8_lossy(handler)
        )));
    }
    if dict.get(b"V").and_then(Object::as_i64).ok() == Some(5) {
        let entries = revision6::KeyEntries::from_dictionary(&dict)?;
        let key = entries
            .file_key(password)
            .or_else(|_| entries.file_key(""))?;
        let cipher = revision6::ObjectCipher::new(&dict, key)?;
        for (&id, object) in doc.objects.iter_mut() {
            if Some(id) != encrypt_id {
                cipher.decrypt_object(object);
            }
        }
    } else {
        decrypt_with_lopdf(&mut doc, entry, encrypt_id, password)?;
    }
    unpack_object_streams(&mut doc, max_stream_bytes);
    if let Some(id) = encrypt_id {
        doc.objects.remove(&id);
    }
    Ok(doc)
}

/// Revisions 2 to 4: lopdf authenticates, derives the key and decrypts.
fn decrypt_with_lopdf(
    doc: &mut Document,
    entry: Object,
    encrypt_id: Option<ObjectId>,
    password: &str,
) -> Result<(), ParseError> {
    doc.trailer.set(&ENCRYPT_KEY[1..], entry);
    let algorithm = PasswordAlgorithm::try_from(&*doc).map_err(|e| invalid(&e.to_string()))?;
    // The user password first, as a CAS is opened with the investor's (lopdf's
    // own check tries the owner's first, the dearer one).
    let password = [password, ""]
        .into_iter()
        .filter_map(|p| algorithm.sanitize_password(p).ok())
        .find(|p| {
            algorithm.authenticate_user_password(doc, p).is_ok()
                || algorithm.authenticate_owner_password(doc, p).is_ok()
        })
        .ok_or(ParseError::InvalidPassword)?;
    let state = EncryptionState::decode(&*doc, &password).map_err(|e| invalid(&e.to_string()))?;
    for (&id, object) in doc.objects.iter_mut() {
        if Some(id) != encrypt_id {
            // An object that does not decrypt in full keeps what did, as in lopdf's loading.
            let _ = decrypt_object(&state, id, object);
        }
    }
    doc.trailer.remove(&ENCRYPT_KEY[1..]);
    Ok(())
}

/// A copy of `bytes` with every `/Encrypt` key renamed, or `None` when there is none.
fn hide_encrypt_entries(bytes: &[u8]) -> Option<Vec<u8>> {
    let found: Vec<usize> = memmem::find_iter(bytes, ENCRYPT_KEY)
        .filter(|&at| {
            // `/EncryptMetadata` and the like are other names.
            bytes
                .get(at + ENCRYPT_KEY.len())
                .is_none_or(|&next| is_whitespace_or_delimiter(next))
        })
        .collect();
    if found.is_empty() {
        return None;
    }
    let mut hidden = bytes.to_vec();
    for at in found {
        hidden[at..at + ENCRYPT_KEY.len()].copy_from_slice(HIDDEN_ENCRYPT_KEY);
    }
    Some(hidden)
}

fn is_whitespace_or_delimiter(byte: u8) -> bool {
    b"\0\t\n\x0c\r ()<>[]{}/%".contains(&byte)
}

fn load_unencrypted(bytes: &[u8], max_stream_bytes: usize) -> Result<Document, ParseError> {
    // An encrypted file whose trailer lost its /Encrypt entry loads as if
    // unencrypted, with every string and stream still ciphertext; the
    // standard security handler's dictionary in the body gives it away.
    if memmem::find(bytes, b"/Filter /Standard").is_some()
        || memmem::find(bytes, b"/Filter/Standard").is_some()
    {
        return Err(invalid(
            "encrypted, but the trailer does not point at the encryption dictionary",
        ));
    }
    parse(bytes, max_stream_bytes)
}

fn parse(bytes: &[u8], max_stream_bytes: usize) -> Result<Document, ParseError> {
    let options = LoadOptions {
        max_decompressed_size: Some(max_stream_bytes),
        ..LoadOptions::default()
    };
    Document::load_mem_with_options(bytes, options).map_err(|e| invalid(&e.to_string()))
}

/// Adds the objects kept in object streams, which lopdf could not read while
/// the streams were ciphertext (an object already read stays).
fn unpack_object_streams(doc: &mut Document, max_stream_bytes: usize) {
    let mut unpacked = Vec::new();
    for object in doc.objects.values() {
        if let Ok(stream) = object.as_stream()
            && stream.dict.has_type(b"ObjStm")
            && let Ok(objects) = ObjectStream::new_with_limit(stream, Some(max_stream_bytes))
        {
            unpacked.extend(objects.objects);
        }
    }
    for (id, object) in unpacked {
        doc.objects.entry(id).or_insert(object);
    }
}

fn invalid(reason: &str) -> ParseError {
    ParseError::InvalidPdf(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_encrypt_key_but_not_longer_names() {
        let bytes = b"<</Encrypt 5 0 R/Root 1 0 R>> <</EncryptMetadata false>> /Encrypt<<";
        let hidden = hide_encrypt_entries(bytes).unwrap();
        assert_eq!(
            hidden,
            b"<</Xncrypt 5 0 R/Root 1 0 R>> <</EncryptMetadata false>> /Xncrypt<<"
        );
        assert_eq!(hide_encrypt_entries(b"<</EncryptMetadata true>>"), None);
        assert_eq!(hide_encrypt_entries(b"/Encrypt").unwrap(), b"/Xncrypt");
    }
}
