//! The bytes of a spooled temporary file while they are in memory: a file's contents and
//! position, with a file's rules (reads stop at the end, a write past it fills the gap with
//! zeros, seeking past it is allowed).

use std::io::{self, SeekFrom};

/// A file in memory.
#[derive(Debug, Default)]
pub(super) struct Memory {
    pub(super) data: Vec<u8>,
    /// May be past the end of `data` (after a seek), as a file's may.
    pub(super) position: u64,
}

impl Memory {
    /// The size of the file after writing `len` bytes at the position (`None` past `u64`).
    pub(super) fn size_after_write(&self, len: usize) -> Option<u64> {
        let end = self.position.checked_add(u64::try_from(len).ok()?)?;
        Some(end.max(self.len()))
    }

    pub(super) fn len(&self) -> u64 {
        // A `Vec` never holds more than `isize::MAX` bytes.
        self.data.len() as u64
    }

    /// Reads from the position; 0 at or past the end.
    pub(super) fn read(&mut self, dst: &mut [u8]) -> usize {
        let start = match usize::try_from(self.position) {
            Ok(start) if start < self.data.len() => start,
            _ => return 0,
        };
        let n = dst.len().min(self.data.len() - start);
        dst[..n].copy_from_slice(&self.data[start..start + n]);
        self.position += n as u64;
        n
    }

    /// Writes all of `src` at the position. The caller has checked the new size
    /// ([`size_after_write`](Self::size_after_write)) against its limit; one the memory cannot
    /// hold is an `OutOfMemory` error, and nothing is written.
    pub(super) fn write(&mut self, src: &[u8]) -> io::Result<usize> {
        let start = usize::try_from(self.position).map_err(|_| too_large())?;
        let end = start.checked_add(src.len()).ok_or_else(too_large)?;
        if self.data.len() < end {
            // Bytes between the old end and the position read as zeros, as a file's hole does.
            self.grow(end)?;
        }
        self.data[start..end].copy_from_slice(src);
        self.position = end as u64;
        Ok(src.len())
    }

    /// Moves the position (`std::io::Seek::seek`).
    pub(super) fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(offset) => self.len().checked_add_signed(offset),
            SeekFrom::Current(offset) => self.position.checked_add_signed(offset),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "invalid seek to a negative or overflowing position",
            )
        })?;
        self.position = target;
        Ok(target)
    }

    /// Truncates or extends (with zeros) to `size` bytes; the position stays. A size the
    /// memory cannot hold is an `OutOfMemory` error.
    pub(super) fn set_len(&mut self, size: u64) -> io::Result<()> {
        let size = usize::try_from(size).map_err(|_| too_large())?;
        if size > self.data.len() {
            self.grow(size)?;
        } else {
            self.data.truncate(size);
        }
        Ok(())
    }

    /// Extends the bytes with zeros to `size`, or refuses a size the memory cannot hold
    /// (`max_size` may be `usize::MAX`) with an error rather than a panic.
    fn grow(&mut self, size: usize) -> io::Result<()> {
        self.data
            .try_reserve(size - self.data.len())
            .map_err(|_| too_large())?;
        self.data.resize(size, 0);
        Ok(())
    }
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        "a spooled temporary file cannot hold that many bytes in memory",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_writes_and_seeks_follow_a_files_rules() {
        let mut memory = Memory::default();
        assert_eq!(memory.write(b"hello").unwrap(), 5);
        assert_eq!(memory.seek(SeekFrom::Current(-3)).unwrap(), 2);
        let mut buf = [0; 10];
        assert_eq!(memory.read(&mut buf), 3);
        assert_eq!(&buf[..3], b"llo");
        assert_eq!(memory.read(&mut buf), 0);
        // Past the end: reads nothing, and a write leaves zeros in the gap.
        assert_eq!(memory.seek(SeekFrom::End(2)).unwrap(), 7);
        assert_eq!(memory.read(&mut buf), 0);
        assert_eq!(memory.size_after_write(1), Some(8));
        memory.write(b"!").unwrap();
        assert_eq!(memory.data, b"hello\0\0!");
        assert!(memory.seek(SeekFrom::Current(-9)).is_err());
        assert_eq!(memory.position, 8, "a refused seek leaves the position");
        memory.set_len(3).unwrap();
        assert_eq!(memory.data, b"hel");
        assert_eq!(memory.size_after_write(0), Some(8), "the position counts");
        assert_eq!(memory.seek(SeekFrom::Start(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(memory.size_after_write(1), None);
    }
}
