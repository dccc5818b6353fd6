//! CRC-32/ISCSI (CRC-32C) on the CPU's instructions when it has them (arm64's CRC32
//! extension, on every Graviton; x86-64's SSE 4.2), else on a 256-entry table.

use crc::{CRC_32_ISCSI, Crc, Table};

static TABLE: Crc<u32, Table<1>> = Crc::<u32, Table<1>>::new(&CRC_32_ISCSI);

/// The running CRC, kept inverted as the instructions take it (init and xorout all ones).
#[derive(Clone, Copy)]
pub struct Crc32c {
    state: u32,
}

impl Crc32c {
    pub fn new() -> Self {
        Self { state: !0 }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.state = update(self.state, data);
    }

    pub fn finalize(&self) -> u32 {
        !self.state
    }
}

/// `state` after `data`, by hardware where the CPU has it (checked once, cached by std).
fn update(state: u32, data: &[u8]) -> u32 {
    #[cfg(target_arch = "aarch64")]
    if std::arch::is_aarch64_feature_detected!("crc") {
        // SAFETY: the CPU has the CRC32 extension (checked just above).
        return unsafe { hardware::update(state, data) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("sse4.2") {
        // SAFETY: the CPU has SSE 4.2 (checked just above).
        return unsafe { hardware::update(state, data) };
    }
    software(state, data)
}

/// The table form, continuing from `state`. `crc` takes an initial value as the catalogue
/// writes it and reflects it for a reflected CRC such as this one, so `state` (already in
/// register order) goes in reflected back; its finalize applies the xorout, undone here.
fn software(state: u32, data: &[u8]) -> u32 {
    let mut digest = TABLE.digest_with_initial(state.reverse_bits());
    digest.update(data);
    !digest.finalize()
}

#[cfg(target_arch = "aarch64")]
mod hardware {
    use std::arch::aarch64::{__crc32cb, __crc32cd};

    #[target_feature(enable = "crc")]
    pub unsafe fn update(mut state: u32, data: &[u8]) -> u32 {
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            state = __crc32cd(state, u64::from_le_bytes(bytes));
        }
        for &byte in words.remainder() {
            state = __crc32cb(state, byte);
        }
        state
    }
}

#[cfg(target_arch = "x86_64")]
mod hardware {
    use std::arch::x86_64::{_mm_crc32_u8, _mm_crc32_u64};

    #[target_feature(enable = "sse4.2")]
    pub unsafe fn update(state: u32, data: &[u8]) -> u32 {
        let mut crc = u64::from(state);
        let mut words = data.chunks_exact(8);
        for word in &mut words {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            crc = _mm_crc32_u64(crc, u64::from_le_bytes(bytes));
        }
        // The 64-bit instruction leaves the CRC in the low 32 bits.
        let mut state = crc as u32;
        for &byte in words.remainder() {
            state = _mm_crc32_u8(state, byte);
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crc::NoTable;

    /// The plainest form, no table, to compare against.
    static BITWISE: Crc<u32, NoTable> = Crc::<u32, NoTable>::new(&CRC_32_ISCSI);

    #[test]
    fn hardware_table_and_bitwise_forms_agree_at_every_length_and_split() {
        let data: Vec<u8> = (0..4_099u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1_000, 4_099] {
            let data = &data[..len];
            let expected = BITWISE.checksum(data);
            assert_eq!(!software(!0, data), expected, "table, {len} bytes");
            let half = len / 3;
            let chained = software(software(!0, &data[..half]), &data[half..]);
            assert_eq!(!chained, expected, "table continued, {len} bytes");
            assert_eq!(!update(!0, data), expected, "dispatched, {len} bytes");
            for split in [0, 1, 3, 8, len / 2, len] {
                let split = split.min(len);
                let mut crc = Crc32c::new();
                crc.update(&data[..split]);
                crc.update(&data[split..]);
                assert_eq!(crc.finalize(), expected, "{len} bytes split at {split}");
            }
        }
    }
}
