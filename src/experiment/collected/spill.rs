//! Fixed-width rows of `f64`, one per replication, addressed by replication index so
//! they can be written in whatever order replications finish: in memory, or in an
//! unnamed temporary file when they would take more than a limit.
//!
//! The file is created with [`tempfile::tempfile`], which on Unix unlinks it at once:
//! however the process ends, nothing is left behind. Values are stored little-endian,
//! so a row reads back bit for bit (NaN payloads included).

use std::fs::File;
use std::io;

/// The rows' storage.
#[derive(Debug)]
enum Store {
    Memory(Vec<f64>),
    File(File),
}

/// `count` rows of `width` values each.
#[derive(Debug)]
pub(super) struct Rows {
    width: usize,
    count: usize,
    store: Store,
}

impl Rows {
    /// Rows of zeros, in memory if they take at most `limit` bytes, else in a file.
    pub(super) fn new(width: usize, count: usize, limit: usize) -> io::Result<Self> {
        let bytes = width.saturating_mul(count).saturating_mul(8);
        let store = if bytes <= limit {
            Store::Memory(vec![0.0; width * count])
        } else {
            let file = tempfile::tempfile()?;
            // Sparse until written: unwritten rows read as zeros, as in memory.
            file.set_len(bytes as u64)?;
            Store::File(file)
        };
        Ok(Self { width, count, store })
    }

    pub(super) fn count(&self) -> usize {
        self.count
    }

    pub(super) fn bytes(&self) -> u64 {
        (self.width * self.count * 8) as u64
    }

    pub(super) fn in_file(&self) -> bool {
        matches!(self.store, Store::File(_))
    }

    /// Byte offset of value `at` of row `r`.
    fn offset(&self, r: usize, at: usize) -> u64 {
        ((r * self.width + at) * 8) as u64
    }

    /// Stores row `r`.
    pub(super) fn put(&mut self, r: usize, row: &[f64]) -> io::Result<()> {
        assert!(r < self.count && row.len() == self.width, "row {r} of {} values", row.len());
        let offset = self.offset(r, 0);
        match &mut self.store {
            Store::Memory(v) => {
                v[r * self.width..(r + 1) * self.width].copy_from_slice(row);
                Ok(())
            }
            Store::File(f) => {
                let bytes: Vec<u8> = row.iter().flat_map(|x| x.to_le_bytes()).collect();
                write_at(f, &bytes, offset)
            }
        }
    }

    /// Reads values `at..at + out.len()` of row `r` into `out`.
    pub(super) fn read(&self, r: usize, at: usize, out: &mut [f64]) -> io::Result<()> {
        assert!(r < self.count && at + out.len() <= self.width, "values {at}.. of row {r}");
        match &self.store {
            Store::Memory(v) => {
                let from = r * self.width + at;
                out.copy_from_slice(&v[from..from + out.len()]);
                Ok(())
            }
            Store::File(f) => {
                let mut bytes = vec![0u8; out.len() * 8];
                read_at(f, &mut bytes, self.offset(r, at))?;
                for (x, b) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                    *x = f64::from_le_bytes(b.try_into().expect("chunks of 8 bytes"));
                }
                Ok(())
            }
        }
    }
}

/// Variable-length byte records, one per replication, kept in an unnamed temporary
/// file in the order written (whatever the replications' order) with an index by
/// replication: memory holds only the index.
#[derive(Debug)]
pub(super) struct Segments {
    file: File,
    end: u64,
    /// Per replication, its record's offset and length (`None`: not written).
    index: Vec<Option<(u64, usize)>>,
}

impl Segments {
    pub(super) fn new(count: usize) -> io::Result<Self> {
        Ok(Self { file: tempfile::tempfile()?, end: 0, index: vec![None; count] })
    }

    /// Stores replication `r`'s record.
    pub(super) fn put(&mut self, r: usize, bytes: &[u8]) -> io::Result<()> {
        write_at(&self.file, bytes, self.end)?;
        self.index[r] = Some((self.end, bytes.len()));
        self.end += bytes.len() as u64;
        Ok(())
    }

    /// Replication `r`'s record (empty if none was stored).
    pub(super) fn get(&self, r: usize) -> io::Result<Vec<u8>> {
        let Some((offset, len)) = self.index[r] else { return Ok(Vec::new()) };
        let mut bytes = vec![0u8; len];
        read_at(&self.file, &mut bytes, offset)?;
        Ok(bytes)
    }

    /// Bytes stored.
    pub(super) fn bytes(&self) -> u64 {
        self.end
    }
}

#[cfg(unix)]
fn write_at(f: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(f, bytes, offset)
}

#[cfg(unix)]
fn read_at(f: &File, bytes: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, bytes, offset)
}

// Elsewhere, seek then read or write through `&File`: rows are written under the
// collector's lock and read by one thread, so the shared file position is not raced.
#[cfg(not(unix))]
fn write_at(mut f: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn read_at(mut f: &File, bytes: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_both_ways(width: usize, count: usize) -> [Rows; 2] {
        [Rows::new(width, count, usize::MAX).unwrap(), Rows::new(width, count, 0).unwrap()]
    }

    #[test]
    fn rows_written_in_any_order_read_back_bit_for_bit() {
        for mut rows in rows_both_ways(5, 4) {
            let row = |r: usize| -> Vec<f64> {
                (0..5).map(|i| if i == 2 { f64::NAN } else { r as f64 * 10.0 + i as f64 + 0.1 }).collect()
            };
            for r in [3, 0, 2] {
                rows.put(r, &row(r)).unwrap();
            }
            let mut out = vec![0.0; 5];
            for r in [0, 2, 3] {
                rows.read(r, 0, &mut out).unwrap();
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&out), bits(&row(r)), "in file: {}", rows.in_file());
            }
            // An unwritten row reads as zeros; part of a row reads alone.
            rows.read(1, 0, &mut out).unwrap();
            assert_eq!(out, vec![0.0; 5]);
            let mut part = vec![0.0; 2];
            rows.read(3, 3, &mut part).unwrap();
            assert_eq!(part, vec![33.1, 34.1]);
        }
    }

    #[test]
    fn segments_read_back_by_replication_whatever_the_order_written() {
        let mut s = Segments::new(3).unwrap();
        s.put(2, b"two").unwrap();
        s.put(0, b"zero!").unwrap();
        assert_eq!(s.get(0).unwrap(), b"zero!");
        assert_eq!(s.get(2).unwrap(), b"two");
        assert!(s.get(1).unwrap().is_empty());
        assert_eq!(s.bytes(), 8);
    }

    #[test]
    fn the_limit_chooses_memory_or_a_file() {
        assert!(!Rows::new(4, 2, 64).unwrap().in_file());
        assert!(Rows::new(4, 2, 63).unwrap().in_file());
        assert_eq!(Rows::new(4, 2, 0).unwrap().bytes(), 64);
    }
}
