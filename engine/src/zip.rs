//! Zip archives, as far as a saved project needs them: writing stored (uncompressed) entries
//! that every zip tool opens, and reading stored or deflated entries from files a person
//! chose — which may be cut off, hostile or not zips at all.
//!
//! Reading trusts nothing the archive declares: every offset and size is checked against the
//! bytes really there, sizes and entry counts are bounded before anything is inflated, names
//! that climb out of the archive (`../`, absolute paths, drive letters) are refused, and every
//! entry's CRC-32 is checked. No Zip64, no encryption, no multi-disk archives: a project file
//! never needs them, and each gets its own message.
//!
//! ```
//! use agora_engine::zip::{ZipLimits, ZipReader, ZipWriter};
//!
//! let mut writer = ZipWriter::new();
//! writer.add("manifest.json", br#"{"format":"agora-project"}"#).unwrap();
//! let bytes = writer.finish().unwrap();
//! let archive = ZipReader::open(&bytes, ZipLimits::default()).unwrap();
//! assert_eq!(archive.names(), vec!["manifest.json"]);
//! assert_eq!(archive.read("manifest.json").unwrap(), br#"{"format":"agora-project"}"#);
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

const LOCAL: u32 = 0x0403_4b50;
const CENTRAL: u32 = 0x0201_4b50;
const END: u32 = 0x0605_4b50;
const END_LEN: usize = 22;
/// 1980-01-01 00:00 in MS-DOS time: the file's entries carry no clock time.
const DOS_DATE: u16 = (1 << 5) | 1;
/// General-purpose flag: names are UTF-8.
const UTF8_NAMES: u16 = 1 << 11;

/// How much an archive may hold before it is refused unread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZipLimits {
    pub max_entries: usize,
    /// The most one entry may hold once unpacked.
    pub max_entry_bytes: u64,
    /// The most all entries may hold together once unpacked.
    pub max_total_bytes: u64,
}

impl Default for ZipLimits {
    /// 256 entries, 512 MB each and in all.
    fn default() -> Self {
        ZipLimits {
            max_entries: 256,
            max_entry_bytes: 512 << 20,
            max_total_bytes: 512 << 20,
        }
    }
}

/// Why an archive cannot be read. The texts are for the person who chose the file.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum ZipError {
    #[error("this file is not a zip archive (it does not end with a zip directory)")]
    NotZip,
    #[error("the file is cut off: {what} lies beyond its end ({len} bytes)")]
    Truncated { what: String, len: usize },
    #[error("the archive holds {count} entries; a project file has at most {max}")]
    TooManyEntries { count: usize, max: usize },
    #[error(
        "the entry \"{name}\" declares {declared} bytes unpacked, over the {max} bytes allowed"
    )]
    TooLarge {
        name: String,
        declared: u64,
        max: u64,
    },
    #[error("the entries declare {declared} bytes unpacked in all, over the {max} bytes allowed")]
    TooLargeInAll { declared: u64, max: u64 },
    #[error("the entry name \"{name}\" points outside the archive ({why}); such files are refused")]
    UnsafeName { name: String, why: String },
    #[error("the archive holds \"{name}\" twice")]
    Duplicate { name: String },
    #[error("the entry \"{name}\" uses {what}, which project files never do")]
    Unsupported { name: String, what: String },
    #[error("the entry \"{name}\" is damaged ({why})")]
    Corrupt { name: String, why: String },
    #[error("the archive has no entry \"{name}\"")]
    Missing { name: String },
    #[error("the archive would be {bytes} bytes; zip files without Zip64 stop at 4 GiB")]
    TooBigToWrite { bytes: u64 },
}

/// Writes a zip of stored entries in memory.
#[derive(Default)]
pub struct ZipWriter {
    bytes: Vec<u8>,
    central: Vec<u8>,
    entries: usize,
}

impl ZipWriter {
    pub fn new() -> ZipWriter {
        ZipWriter::default()
    }

    /// Adds an entry, stored as it is.
    ///
    /// # Errors
    /// The archive would pass 4 GiB or 65,535 entries (zip without Zip64).
    pub fn add(&mut self, name: &str, data: &[u8]) -> Result<(), ZipError> {
        let offset = self.bytes.len();
        let end = offset as u64 + 30 + name.len() as u64 + data.len() as u64;
        let (Ok(offset32), Ok(size), Ok(name_len), true) = (
            u32::try_from(offset),
            u32::try_from(data.len()),
            u16::try_from(name.len()),
            end < u64::from(u32::MAX) && self.entries < usize::from(u16::MAX),
        ) else {
            return Err(ZipError::TooBigToWrite { bytes: end });
        };
        let crc = crc32(data);
        let mut local = Vec::with_capacity(30 + name.len());
        put32(&mut local, LOCAL);
        put16(&mut local, 20); // version needed: 2.0
        put16(&mut local, UTF8_NAMES);
        put16(&mut local, 0); // stored
        put16(&mut local, 0); // time
        put16(&mut local, DOS_DATE);
        put32(&mut local, crc);
        put32(&mut local, size);
        put32(&mut local, size);
        put16(&mut local, name_len);
        put16(&mut local, 0); // extra
        local.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(&local);
        self.bytes.extend_from_slice(data);

        let central = &mut self.central;
        put32(central, CENTRAL);
        put16(central, 20); // made by: 2.0, MS-DOS attributes
        put16(central, 20);
        put16(central, UTF8_NAMES);
        put16(central, 0);
        put16(central, 0);
        put16(central, DOS_DATE);
        put32(central, crc);
        put32(central, size);
        put32(central, size);
        put16(central, name_len);
        put16(central, 0); // extra
        put16(central, 0); // comment
        put16(central, 0); // disk
        put16(central, 0); // internal attributes
        put32(central, 0); // external attributes
        put32(central, offset32);
        central.extend_from_slice(name.as_bytes());
        self.entries += 1;
        Ok(())
    }

    /// The archive's bytes.
    ///
    /// # Errors
    /// The directory would pass 4 GiB.
    pub fn finish(mut self) -> Result<Vec<u8>, ZipError> {
        let total = self.bytes.len() as u64 + self.central.len() as u64 + END_LEN as u64;
        let (Ok(offset), Ok(size), Ok(count), true) = (
            u32::try_from(self.bytes.len()),
            u32::try_from(self.central.len()),
            u16::try_from(self.entries),
            total < u64::from(u32::MAX),
        ) else {
            return Err(ZipError::TooBigToWrite { bytes: total });
        };
        self.bytes.append(&mut self.central);
        put32(&mut self.bytes, END);
        put16(&mut self.bytes, 0);
        put16(&mut self.bytes, 0);
        put16(&mut self.bytes, count);
        put16(&mut self.bytes, count);
        put32(&mut self.bytes, size);
        put32(&mut self.bytes, offset);
        put16(&mut self.bytes, 0); // comment
        Ok(self.bytes)
    }
}

/// One entry as the archive's directory describes it, checked against the file.
#[derive(Clone, Debug)]
struct Entry {
    name: String,
    method: u16,
    crc: u32,
    /// Where the entry's (possibly compressed) data lie in the file.
    start: usize,
    packed: usize,
    unpacked: u64,
}

/// A zip archive opened from bytes: its directory read and checked; entries read on demand.
pub struct ZipReader<'a> {
    bytes: &'a [u8],
    entries: Vec<Entry>,
}

impl<'a> ZipReader<'a> {
    /// Reads and checks the directory.
    ///
    /// # Errors
    /// Not a zip, cut off, over `limits`, an unsafe or repeated name, or a feature project
    /// files never use.
    pub fn open(bytes: &'a [u8], limits: ZipLimits) -> Result<ZipReader<'a>, ZipError> {
        let end = find_end(bytes)?;
        let count = usize::from(u16_at(bytes, end + 10));
        let dir_size = u32_at(bytes, end + 12) as usize;
        let dir_start = u32_at(bytes, end + 16) as usize;
        if u16_at(bytes, end + 4) != 0 || u16_at(bytes, end + 6) != 0 {
            return Err(ZipError::Unsupported {
                name: String::new(),
                what: "several disks".into(),
            });
        }
        if count > limits.max_entries {
            return Err(ZipError::TooManyEntries {
                count,
                max: limits.max_entries,
            });
        }
        if dir_start == u32::MAX as usize || count == usize::from(u16::MAX) {
            return Err(ZipError::Unsupported {
                name: String::new(),
                what: "Zip64".into(),
            });
        }
        if dir_start.saturating_add(dir_size) > end {
            return Err(truncated("the archive's directory", bytes));
        }
        let mut entries = Vec::with_capacity(count);
        let mut names = BTreeSet::new();
        let mut total: u64 = 0;
        let mut at = dir_start;
        for _ in 0..count {
            let entry = read_central(bytes, &mut at, end)?;
            check_name(&entry.name)?;
            if !names.insert(entry.name.clone()) {
                return Err(ZipError::Duplicate { name: entry.name });
            }
            if entry.unpacked > limits.max_entry_bytes {
                return Err(ZipError::TooLarge {
                    name: entry.name,
                    declared: entry.unpacked,
                    max: limits.max_entry_bytes,
                });
            }
            total = total.saturating_add(entry.unpacked);
            if total > limits.max_total_bytes {
                return Err(ZipError::TooLargeInAll {
                    declared: total,
                    max: limits.max_total_bytes,
                });
            }
            entries.push(entry);
        }
        Ok(ZipReader { bytes, entries })
    }

    /// The entries' names, in the archive's order.
    pub fn names(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(|entry| entry.name.as_str())
            .collect()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|entry| entry.name == name)
    }

    /// An entry's bytes, unpacked and checked against its CRC-32.
    ///
    /// # Errors
    /// No such entry, or it is damaged.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, ZipError> {
        let entry = self
            .entries
            .iter()
            .find(|entry| entry.name == name)
            .ok_or_else(|| ZipError::Missing { name: name.into() })?;
        let packed = &self.bytes[entry.start..entry.start + entry.packed];
        let corrupt = |why: &str| ZipError::Corrupt {
            name: entry.name.clone(),
            why: why.into(),
        };
        let data = match entry.method {
            0 => {
                if entry.packed as u64 != entry.unpacked {
                    return Err(corrupt("its stored and declared sizes differ"));
                }
                packed.to_vec()
            }
            8 => {
                let limit = usize::try_from(entry.unpacked).unwrap_or(usize::MAX);
                let data = miniz_oxide::inflate::decompress_to_vec_with_limit(packed, limit)
                    .map_err(|_| corrupt("its compressed data do not unpack to its size"))?;
                if data.len() as u64 != entry.unpacked {
                    return Err(corrupt("it unpacks to another size than it declares"));
                }
                data
            }
            method => {
                return Err(ZipError::Unsupported {
                    name: entry.name.clone(),
                    what: format!("compression method {method}"),
                });
            }
        };
        if crc32(&data) != entry.crc {
            return Err(corrupt("its checksum does not match"));
        }
        Ok(data)
    }
}

fn truncated(what: &str, bytes: &[u8]) -> ZipError {
    ZipError::Truncated {
        what: what.into(),
        len: bytes.len(),
    }
}

/// The end-of-directory record: the last one in the file (a comment may follow it).
fn find_end(bytes: &[u8]) -> Result<usize, ZipError> {
    if bytes.len() >= END_LEN {
        let lowest = bytes.len().saturating_sub(END_LEN + usize::from(u16::MAX));
        for at in (lowest..=bytes.len() - END_LEN).rev() {
            if u32_at(bytes, at) == END {
                return Ok(at);
            }
        }
    }
    if bytes.len() >= 4 && u32_at(bytes, 0) == LOCAL {
        // It starts like a zip but its directory, at the end, is gone.
        return Err(truncated("the archive's directory", bytes));
    }
    Err(ZipError::NotZip)
}

fn read_central(bytes: &[u8], at: &mut usize, end: usize) -> Result<Entry, ZipError> {
    if *at + 46 > end || u32_at(bytes, *at) != CENTRAL {
        return Err(truncated("an entry of the archive's directory", bytes));
    }
    let flags = u16_at(bytes, *at + 8);
    let method = u16_at(bytes, *at + 10);
    let crc = u32_at(bytes, *at + 16);
    let packed = u32_at(bytes, *at + 20);
    let unpacked = u32_at(bytes, *at + 24);
    let name_len = usize::from(u16_at(bytes, *at + 28));
    let extra_len = usize::from(u16_at(bytes, *at + 30));
    let comment_len = usize::from(u16_at(bytes, *at + 32));
    let local = u32_at(bytes, *at + 42) as usize;
    let name_start = *at + 46;
    let next = name_start + name_len + extra_len + comment_len;
    if next > end {
        return Err(truncated("an entry of the archive's directory", bytes));
    }
    let name =
        String::from_utf8(bytes[name_start..name_start + name_len].to_vec()).map_err(|_| {
            ZipError::UnsafeName {
                name: String::from_utf8_lossy(&bytes[name_start..name_start + name_len]).into(),
                why: "it is not UTF-8".into(),
            }
        })?;
    *at = next;
    if flags & 1 != 0 {
        return Err(ZipError::Unsupported {
            name,
            what: "encryption".into(),
        });
    }
    if packed == u32::MAX || unpacked == u32::MAX || local == u32::MAX as usize {
        return Err(ZipError::Unsupported {
            name,
            what: "Zip64".into(),
        });
    }
    // The local header repeats the name and may carry its own extra field.
    if local + 30 > bytes.len() || u32_at(bytes, local) != LOCAL {
        return Err(ZipError::Truncated {
            what: format!("the entry \"{name}\""),
            len: bytes.len(),
        });
    }
    let start = local
        + 30
        + usize::from(u16_at(bytes, local + 26))
        + usize::from(u16_at(bytes, local + 28));
    let packed = packed as usize;
    if start.saturating_add(packed) > bytes.len() {
        return Err(ZipError::Truncated {
            what: format!("the data of \"{name}\""),
            len: bytes.len(),
        });
    }
    Ok(Entry {
        name,
        method,
        crc,
        start,
        packed,
        unpacked: u64::from(unpacked),
    })
}

/// Refuses names that would land outside a folder the archive is unpacked into.
fn check_name(name: &str) -> Result<(), ZipError> {
    let unsafe_name = |why: &str| {
        Err(ZipError::UnsafeName {
            name: name.into(),
            why: why.into(),
        })
    };
    if name.is_empty() {
        return unsafe_name("it is empty");
    }
    if name.starts_with('/') || name.starts_with('\\') {
        return unsafe_name("it is an absolute path");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return unsafe_name("it starts with a drive letter");
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return unsafe_name("it climbs out with ..");
    }
    if name.contains('\0') {
        return unsafe_name("it holds a NUL character");
    }
    Ok(())
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// CRC-32 (IEEE 802.3, reflected), as zip uses.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut index = 0;
        while index < 256 {
            let mut value = index as u32;
            let mut bit = 0;
            while bit < 8 {
                value = if value & 1 == 1 {
                    0xEDB8_8320 ^ (value >> 1)
                } else {
                    value >> 1
                };
                bit += 1;
            }
            table[index] = value;
            index += 1;
        }
        table
    };
    let mut crc = u32::MAX;
    for &byte in data {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = ZipWriter::new();
        for (name, data) in entries {
            writer.add(name, data).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn crc_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn round_trips_entries() {
        let bytes = archive(&[("a.json", b"{}"), ("dir/b.bin", &[0, 1, 2, 255])]);
        let reader = ZipReader::open(&bytes, ZipLimits::default()).unwrap();
        assert_eq!(reader.names(), vec!["a.json", "dir/b.bin"]);
        assert_eq!(reader.read("dir/b.bin").unwrap(), vec![0, 1, 2, 255]);
        assert_eq!(
            reader.read("c").unwrap_err(),
            ZipError::Missing { name: "c".into() }
        );
    }

    #[test]
    fn every_cut_is_an_error_not_a_panic() {
        let bytes = archive(&[("a.json", b"{\"x\": 1}"), ("b", b"hello world")]);
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            if let Ok(reader) = ZipReader::open(cut, ZipLimits::default()) {
                for name in reader.names() {
                    let _ = reader.read(name);
                }
            }
        }
        assert_eq!(
            ZipReader::open(&bytes[..bytes.len() - 5], ZipLimits::default()).err(),
            Some(ZipError::Truncated {
                what: "the archive's directory".into(),
                len: bytes.len() - 5
            })
        );
        assert_eq!(
            ZipReader::open(b"GIF89a not a zip at all", ZipLimits::default()).err(),
            Some(ZipError::NotZip)
        );
    }

    #[test]
    fn flipped_bytes_are_caught_by_the_checksum() {
        let mut bytes = archive(&[("a", b"some data here")]);
        bytes[31 + 2] ^= 0x40; // inside the data, after the 30-byte header and the name
        let reader = ZipReader::open(&bytes, ZipLimits::default()).unwrap();
        assert!(matches!(reader.read("a"), Err(ZipError::Corrupt { .. })));
    }

    #[test]
    fn limits_are_checked_before_reading() {
        let bytes = archive(&[("a", b"12345"), ("b", b"12345")]);
        let tight = ZipLimits {
            max_entries: 1,
            ..ZipLimits::default()
        };
        assert_eq!(
            ZipReader::open(&bytes, tight).err(),
            Some(ZipError::TooManyEntries { count: 2, max: 1 })
        );
        let small = ZipLimits {
            max_entries: 10,
            max_entry_bytes: 100,
            max_total_bytes: 8,
        };
        assert!(matches!(
            ZipReader::open(&bytes, small),
            Err(ZipError::TooLargeInAll { declared: 10, .. })
        ));
    }

    #[test]
    fn names_that_climb_out_are_refused() {
        for name in [
            "../evil",
            "a/../../b",
            "/etc/passwd",
            "C:\\x",
            "\\x",
            "a\\..\\b",
        ] {
            let bytes = archive(&[(name, b"x")]);
            assert!(
                matches!(
                    ZipReader::open(&bytes, ZipLimits::default()),
                    Err(ZipError::UnsafeName { .. })
                ),
                "{name}"
            );
        }
        let twice = archive(&[("a", b"x"), ("a", b"y")]);
        assert!(matches!(
            ZipReader::open(&twice, ZipLimits::default()),
            Err(ZipError::Duplicate { .. })
        ));
    }

    #[test]
    fn reads_deflated_entries() {
        // A deflated entry, as other zip tools write them.
        let data = b"agora agora agora agora agora agora".repeat(20);
        let packed = miniz_oxide::deflate::compress_to_vec(&data, 6);
        let mut bytes = archive(&[("x", &packed)]);
        // Mark it deflated with its real size and checksum.
        bytes[8] = 8;
        let size = u32::try_from(data.len()).unwrap().to_le_bytes();
        let crc = crc32(&data).to_le_bytes();
        bytes[14..18].copy_from_slice(&crc);
        bytes[22..26].copy_from_slice(&size);
        let central = 30 + 1 + packed.len();
        bytes[central + 10] = 8;
        bytes[central + 16..central + 20].copy_from_slice(&crc);
        bytes[central + 24..central + 28].copy_from_slice(&size);
        let reader = ZipReader::open(&bytes, ZipLimits::default()).unwrap();
        assert_eq!(reader.read("x").unwrap(), data);
    }
}
