//! The part of crc-fast's API that the S3 SDK's checksums (aws-smithy-checksums) call:
//! [`Digest`] and [`checksum`] for CRC-32/ISO-HDLC (S3's `CRC32`), CRC-32/ISCSI (`CRC32C`)
//! and CRC-64/NVME (`CRC64NVME`). crc-fast's own tables for every CRC it knows were ~0.65 MB
//! of each bootstrap; here:
//! - CRC-32/ISO-HDLC is crc32fast's, which the SDK links anyway (aws-smithy-eventstream) and
//!   which uses the CPU's CRC instructions (arm64's CRC32, x86-64's PCLMULQDQ) when present;
//! - CRC-32/ISCSI uses the CPU's CRC32C instructions (arm64's CRC32, which every Graviton has;
//!   x86-64's SSE 4.2), else the `crc` crate's 1 KiB table;
//! - CRC-64/NVME, which no CPU instruction computes, the `crc` crate's 16-way sliced table
//!   (32 KiB).
//!
//! An algorithm outside the three is not in the enum, so a newer SDK asking for one fails to
//! compile rather than computing a wrong checksum.

mod crc32c;

use crc::{CRC_64_NVME, Crc, Table};
use std::fmt;

static CRC64_NVME: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

/// The CRCs this crate computes (crc-fast's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrcAlgorithm {
    Crc32IsoHdlc,
    Crc32Iscsi,
    Crc64Nvme,
}

/// A running CRC; [`Digest::finalize`] does not consume it (as in crc-fast).
#[derive(Clone)]
pub struct Digest {
    algorithm: CrcAlgorithm,
    state: State,
}

#[derive(Clone)]
enum State {
    Crc32IsoHdlc(crc32fast::Hasher),
    Crc32Iscsi(crc32c::Crc32c),
    Crc64Nvme(crc::Digest<'static, u64, Table<16>>),
}

impl Digest {
    pub fn new(algorithm: CrcAlgorithm) -> Self {
        let state = match algorithm {
            CrcAlgorithm::Crc32IsoHdlc => State::Crc32IsoHdlc(crc32fast::Hasher::new()),
            CrcAlgorithm::Crc32Iscsi => State::Crc32Iscsi(crc32c::Crc32c::new()),
            CrcAlgorithm::Crc64Nvme => State::Crc64Nvme(CRC64_NVME.digest()),
        };
        Self { algorithm, state }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32IsoHdlc(hasher) => hasher.update(data),
            State::Crc32Iscsi(crc) => crc.update(data),
            State::Crc64Nvme(digest) => digest.update(data),
        }
    }

    /// The CRC of everything updated so far, widened to `u64` for the 32-bit ones.
    pub fn finalize(&self) -> u64 {
        match &self.state {
            State::Crc32IsoHdlc(hasher) => u64::from(hasher.clone().finalize()),
            State::Crc32Iscsi(crc) => u64::from(crc.finalize()),
            State::Crc64Nvme(digest) => digest.clone().finalize(),
        }
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.algorithm);
    }

    pub fn finalize_reset(&mut self) -> u64 {
        let crc = self.finalize();
        self.reset();
        crc
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digest")
            .field("algorithm", &self.algorithm)
            .field("crc", &self.finalize())
            .finish()
    }
}

/// The CRC of `data` in one call.
pub fn checksum(algorithm: CrcAlgorithm, data: &[u8]) -> u64 {
    let mut digest = Digest::new(algorithm);
    digest.update(data);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "check" values of the CRC catalogue (reveng.sourceforge.io/crc-catalogue): the
    /// CRC of the ASCII bytes "123456789".
    #[test]
    fn each_algorithm_gives_its_catalogue_check_value() {
        let check = b"123456789";
        assert_eq!(checksum(CrcAlgorithm::Crc32IsoHdlc, check), 0xCBF4_3926);
        assert_eq!(checksum(CrcAlgorithm::Crc32Iscsi, check), 0xE306_9283);
        assert_eq!(
            checksum(CrcAlgorithm::Crc64Nvme, check),
            0xAE8B_1486_0A79_9888
        );
    }

    /// A split update equals one update, and finalize does not end the digest (as in
    /// crc-fast; aws-smithy-checksums reads it once).
    #[test]
    fn updates_in_pieces_equal_one_update_and_finalize_can_repeat() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for algorithm in ALL {
            let mut pieces = Digest::new(algorithm);
            for chunk in data.chunks(333) {
                pieces.update(chunk);
            }
            assert_eq!(pieces.finalize(), checksum(algorithm, &data));
            assert_eq!(pieces.finalize(), pieces.finalize_reset());
            assert_eq!(pieces.finalize(), checksum(algorithm, b""));
        }
    }

    /// The sliced tables against a bit-at-a-time CRC (reflected, all ones in and out, as all
    /// three are), slow and plainly right, on a megabyte of varied bytes.
    #[test]
    fn each_algorithm_matches_a_bitwise_crc_on_large_input() {
        let data: Vec<u8> = (0..1_000_003u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let polynomials = [0xEDB8_8320, 0x82F6_3B78, 0x9A6C_9329_AC4B_C9B5];
        let widths = [32, 32, 64];
        for ((algorithm, polynomial), width) in ALL.into_iter().zip(polynomials).zip(widths) {
            assert_eq!(
                checksum(algorithm, &data),
                bitwise_crc(&data, polynomial, width),
                "{algorithm:?}"
            );
        }
    }

    const ALL: [CrcAlgorithm; 3] = [
        CrcAlgorithm::Crc32IsoHdlc,
        CrcAlgorithm::Crc32Iscsi,
        CrcAlgorithm::Crc64Nvme,
    ];

    /// A reflected CRC of `width` bits with the reversed `polynomial`, init and xorout all ones.
    fn bitwise_crc(data: &[u8], polynomial: u64, width: u32) -> u64 {
        let mask = if width == 64 {
            u64::MAX
        } else {
            (1 << width) - 1
        };
        let mut crc = mask;
        for &byte in data {
            crc ^= u64::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ polynomial
                } else {
                    crc >> 1
                };
            }
        }
        !crc & mask
    }
}
