//! RBD's export and diff streams: the byte formats of `rbd export` (raw, and `--export-format
//! 2`), `rbd export-diff` (diff v1, and the v2 diffs inside an export-format-2 stream), and the
//! operations that produce and consume them: export and import of whole images, export and
//! import of diffs, and merging two consecutive diffs.
//!
//! The formats are Ceph's documented ones (doc/dev/rbd-diff.rst, doc/dev/rbd-export.rst); all
//! integers are little-endian. Where the documents are silent, this follows what Ceph 16.2's
//! `rbd` writes and reads, so that streams pass between the two in both directions:
//!
//! * Export format 2 puts the banner `"rbd image diffs v2\n"` between the metadata's end record
//!   and the diff count (the export document omits it), and each of its diffs is a complete
//!   diff-v2 stream with its own `"rbd diff v2\n"` banner and `'e'` record.
//! * The end records (`'e'` in diffs, `'E'` after the image metadata) carry no length, even in
//!   v2: every other v2 record is tag, le64 payload length, payload.
//! * Diff v2 knows one more record, `'p'` (le64 length 1, one byte: the end snapshot is
//!   protected), which Ceph writes in export-format-2 diffs.
//! * Image metadata records `'M'` hold le32 key length, key, le32 value length, value.
//!
//! Readers are stricter than Ceph's: a v1 stream with an unknown tag, metadata after data, a
//! repeated metadata record, data before the size record, extents out of order, overlapping or
//! past the size, v2 lengths that disagree with the payload, or a stream ending before its end
//! record are all rejected with `Error::InvalidArgument`. Unknown v2 tags are skipped by their
//! length, as the format intends. Snapshot names must be UTF-8, non-empty and at most 4096
//! bytes (Ceph's own limit when reading them).
//!
//! Memory: data is streamed. A `'w'` record's bytes are never gathered whole; they are read in
//! chunks of at most [`CHUNK`], so a record claiming an absurd length costs nothing until its
//! bytes actually arrive.

use crate::features::{self, MAX_SNAP_NAME};
use crate::image::Image;
use crate::ioctx::IoCtx;
use crate::manage::{self, CreateOptions};
use crate::naming::check_snap_name;
use crate::{Error, Result};
use std::io::{self, BufReader, BufWriter, ErrorKind, Read, Write};

pub const DIFF_BANNER_V1: &[u8] = b"rbd diff v1\n";
pub const DIFF_BANNER_V2: &[u8] = b"rbd diff v2\n";
pub const IMAGE_BANNER_V2: &[u8] = b"rbd image v2\n";
pub const IMAGE_DIFFS_BANNER_V2: &[u8] = b"rbd image diffs v2\n";

/// `rbd import --sparse-size` default: all-zero blocks of this size are not written.
pub const DEFAULT_SPARSE_SIZE: usize = 4096;

/// Most bytes read, written or held per request and per data record we emit.
pub const CHUNK: usize = 4 << 20;

/// Largest image-metadata record accepted on import (key and value together).
const MAX_META_RECORD: u64 = 4 << 20;

const TAG_FROM: u8 = b'f';
const TAG_TO: u8 = b't';
const TAG_SIZE: u8 = b's';
const TAG_WRITE: u8 = b'w';
const TAG_ZERO: u8 = b'z';
const TAG_PROTECTED: u8 = b'p';
const TAG_END: u8 = b'e';

const TAG_ORDER: u8 = b'O';
const TAG_FEATURES: u8 = b'T';
const TAG_STRIPE_UNIT: u8 = b'U';
const TAG_STRIPE_COUNT: u8 = b'C';
const TAG_META: u8 = b'M';
const TAG_IMAGE_END: u8 = b'E';

/// Version of a diff stream, or format of a whole-image export (`--export-format`): V1 is the
/// diff v1 format, or raw bytes for an image; V2 the tagged-length formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    V1,
    V2,
}

impl Format {
    /// 1 or 2, as given to `--export-format`.
    pub fn from_number(n: u64) -> Result<Format> {
        match n {
            1 => Ok(Format::V1),
            2 => Ok(Format::V2),
            _ => Err(Error::InvalidArgument("export format must be 1 or 2")),
        }
    }

    fn diff_banner(self) -> &'static [u8] {
        match self {
            Format::V1 => DIFF_BANNER_V1,
            Format::V2 => DIFF_BANNER_V2,
        }
    }
}

/// One record of a diff stream, as [`DiffReader::next_record`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    FromSnap(String),
    ToSnap(String),
    /// v2 only: whether the end snapshot is protected.
    Protected(bool),
    Size(u64),
    /// `len` bytes of data for `off..off+len` follow in the stream: read them with
    /// [`DiffReader::read_data`]; whatever is left unread is skipped by the next `next_record()`.
    Data {
        off: u64,
        len: u64,
    },
    Zero {
        off: u64,
        len: u64,
    },
    End,
}

fn io_err(e: io::Error) -> Error {
    if e.kind() == ErrorKind::UnexpectedEof {
        Error::InvalidArgument("truncated stream")
    } else {
        Error::Backend(rbdshim_backend::Error::Io(e))
    }
}

/// The ordering rules both ends enforce: metadata once each and before data; data extents in
/// increasing order, not overlapping, inside the size; the size known before data or the end.
#[derive(Default)]
struct Rules {
    from: bool,
    to: bool,
    protected: bool,
    size: Option<u64>,
    in_data: bool,
    next_off: u64,
    ended: bool,
}

enum Meta {
    From,
    To,
    Protected,
    Size(u64),
}

impl Rules {
    fn open(&self) -> Result<()> {
        if self.ended {
            return Err(Error::InvalidArgument("record after the end record"));
        }
        Ok(())
    }

    fn meta(&mut self, m: Meta) -> Result<()> {
        self.open()?;
        if self.in_data {
            return Err(Error::InvalidArgument("metadata record after data records"));
        }
        let seen = match m {
            Meta::From => &mut self.from,
            Meta::To => &mut self.to,
            Meta::Protected => &mut self.protected,
            Meta::Size(s) => {
                if self.size.is_some() {
                    return Err(Error::InvalidArgument("repeated metadata record"));
                }
                self.size = Some(s);
                return Ok(());
            }
        };
        if *seen {
            return Err(Error::InvalidArgument("repeated metadata record"));
        }
        *seen = true;
        Ok(())
    }

    fn extent(&mut self, off: u64, len: u64) -> Result<()> {
        self.open()?;
        let size = self.size.ok_or(Error::InvalidArgument("data record before the image size"))?;
        if off < self.next_off {
            return Err(Error::InvalidArgument("data records out of order or overlapping"));
        }
        let end = off.checked_add(len).ok_or(Error::InvalidArgument("extent length overflows"))?;
        if end > size {
            return Err(Error::InvalidArgument("extent past the image size"));
        }
        self.in_data = true;
        self.next_off = end;
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.open()?;
        if self.size.is_none() {
            return Err(Error::InvalidArgument("stream without an image size record"));
        }
        self.ended = true;
        Ok(())
    }
}

fn check_name_len(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::InvalidArgument("empty snapshot name in stream"));
    }
    if n > MAX_SNAP_NAME {
        return Err(Error::InvalidArgument("snapshot name in stream too long"));
    }
    Ok(())
}

/// Writes one diff stream, checking as it goes that it stays well-formed (the same rules the
/// reader applies), so a bug upstream fails here rather than producing a stream nobody reads.
pub struct DiffWriter<W: Write> {
    out: W,
    version: Format,
    rules: Rules,
    /// Data bytes still due for the current `'w'` record.
    owed: u64,
}

impl<W: Write> DiffWriter<W> {
    /// Starts a stream: writes the banner.
    pub fn new(mut out: W, version: Format) -> Result<Self> {
        out.write_all(version.diff_banner()).map_err(io_err)?;
        Ok(DiffWriter { out, version, rules: Rules::default(), owed: 0 })
    }

    pub fn version(&self) -> Format {
        self.version
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.out.write_all(bytes).map_err(io_err)
    }

    /// Tag, then (v2) the payload length.
    fn head(&mut self, tag: u8, payload: u64) -> Result<()> {
        self.put(&[tag])?;
        if self.version == Format::V2 {
            self.put(&payload.to_le_bytes())?;
        }
        Ok(())
    }

    fn settled(&self) -> Result<()> {
        if self.owed > 0 {
            return Err(Error::InvalidArgument("previous data record is incomplete"));
        }
        Ok(())
    }

    fn name(&mut self, tag: u8, m: Meta, name: &str) -> Result<()> {
        self.settled()?;
        check_name_len(name.len())?;
        self.rules.meta(m)?;
        self.head(tag, 4 + name.len() as u64)?;
        self.put(&(name.len() as u32).to_le_bytes())?;
        self.put(name.as_bytes())
    }

    pub fn from_snap(&mut self, name: &str) -> Result<()> {
        self.name(TAG_FROM, Meta::From, name)
    }

    pub fn to_snap(&mut self, name: &str) -> Result<()> {
        self.name(TAG_TO, Meta::To, name)
    }

    /// The end snapshot's protection (v2 only; v1 has no record for it).
    pub fn protected(&mut self, protected: bool) -> Result<()> {
        self.settled()?;
        if self.version == Format::V1 {
            return Err(Error::InvalidArgument("diff v1 cannot record snapshot protection"));
        }
        self.rules.meta(Meta::Protected)?;
        self.head(TAG_PROTECTED, 1)?;
        self.put(&[protected as u8])
    }

    pub fn size(&mut self, size: u64) -> Result<()> {
        self.settled()?;
        self.rules.meta(Meta::Size(size))?;
        self.head(TAG_SIZE, 8)?;
        self.put(&size.to_le_bytes())
    }

    /// A `'z'` record. Empty extents carry nothing and are not written.
    pub fn zero(&mut self, off: u64, len: u64) -> Result<()> {
        self.settled()?;
        if len == 0 {
            return Ok(());
        }
        self.rules.extent(off, len)?;
        self.head(TAG_ZERO, 16)?;
        self.put(&off.to_le_bytes())?;
        self.put(&len.to_le_bytes())
    }

    /// A whole `'w'` record.
    pub fn data(&mut self, off: u64, data: &[u8]) -> Result<()> {
        self.begin_data(off, data.len() as u64)?;
        self.write_data(data)
    }

    /// Starts a `'w'` record of `len` bytes, to be supplied by [`write_data`](Self::write_data)
    /// before any other record.
    pub fn begin_data(&mut self, off: u64, len: u64) -> Result<()> {
        self.settled()?;
        if len == 0 {
            return Ok(());
        }
        self.rules.extent(off, len)?;
        let payload = len.checked_add(16).ok_or(Error::InvalidArgument("extent length overflows"))?;
        self.head(TAG_WRITE, payload)?;
        self.put(&off.to_le_bytes())?;
        self.put(&len.to_le_bytes())?;
        self.owed = len;
        Ok(())
    }

    pub fn write_data(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.len() as u64 > self.owed {
            return Err(Error::InvalidArgument("more data than the record announced"));
        }
        self.put(bytes)?;
        self.owed -= bytes.len() as u64;
        Ok(())
    }

    /// Writes the end record, flushes, and hands the writer back.
    pub fn end(mut self) -> Result<W> {
        self.settled()?;
        self.rules.end()?;
        self.put(&[TAG_END])?;
        self.out.flush().map_err(io_err)?;
        Ok(self.out)
    }
}

/// Reads one diff stream record by record, validating it (see the module documentation).
/// Reads are small: give it a buffered reader.
pub struct DiffReader<R: Read> {
    inner: R,
    version: Format,
    rules: Rules,
    /// Unread data bytes of the current `'w'` record.
    pending: u64,
}

impl<R: Read> DiffReader<R> {
    /// Reads the banner and detects the version.
    pub fn new(mut inner: R) -> Result<Self> {
        let mut banner = [0u8; 12];
        read_exact(&mut inner, &mut banner)?;
        let version = if banner == DIFF_BANNER_V1 {
            Format::V1
        } else if banner == DIFF_BANNER_V2 {
            Format::V2
        } else {
            return Err(Error::InvalidArgument("not an rbd diff stream"));
        };
        Ok(DiffReader { inner, version, rules: Rules::default(), pending: 0 })
    }

    /// Like `new`, but only a stream of `version` is accepted.
    pub fn expect(inner: R, version: Format) -> Result<Self> {
        let r = DiffReader::new(inner)?;
        if r.version != version {
            return Err(Error::InvalidArgument("unexpected diff stream version"));
        }
        Ok(r)
    }

    pub fn version(&self) -> Format {
        self.version
    }

    /// The image size, once its record was read.
    pub fn size(&self) -> Option<u64> {
        self.rules.size
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn u8(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        read_exact(&mut self.inner, &mut b)?;
        Ok(b[0])
    }

    fn u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        read_exact(&mut self.inner, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> Result<u64> {
        read_u64(&mut self.inner)
    }

    /// In v2, checks the record's announced payload length against what its contents need.
    fn check_len(&self, announced: Option<u64>, needed: u64) -> Result<()> {
        match announced {
            Some(n) if n != needed => Err(Error::InvalidArgument("record length does not match its contents")),
            _ => Ok(()),
        }
    }

    fn name(&mut self, announced: Option<u64>) -> Result<String> {
        let n = self.u32()? as usize;
        check_name_len(n)?;
        self.check_len(announced, 4 + n as u64)?;
        let mut b = vec![0u8; n];
        read_exact(&mut self.inner, &mut b)?;
        String::from_utf8(b).map_err(|_| Error::InvalidArgument("snapshot name in stream is not UTF-8"))
    }

    /// The next record. After the end record it keeps returning `End` without reading.
    pub fn next_record(&mut self) -> Result<Record> {
        if self.rules.ended {
            return Ok(Record::End);
        }
        if self.pending > 0 {
            let n = self.pending;
            self.skip_data(n)?;
        }
        loop {
            let tag = self.u8()?;
            let announced = if self.version == Format::V2 && tag != TAG_END { Some(self.u64()?) } else { None };
            return match tag {
                TAG_FROM => {
                    let name = self.name(announced)?;
                    self.rules.meta(Meta::From)?;
                    Ok(Record::FromSnap(name))
                }
                TAG_TO => {
                    let name = self.name(announced)?;
                    self.rules.meta(Meta::To)?;
                    Ok(Record::ToSnap(name))
                }
                TAG_PROTECTED if self.version == Format::V2 => {
                    self.check_len(announced, 1)?;
                    let p = self.u8()?;
                    self.rules.meta(Meta::Protected)?;
                    Ok(Record::Protected(p != 0))
                }
                TAG_SIZE => {
                    self.check_len(announced, 8)?;
                    let size = self.u64()?;
                    self.rules.meta(Meta::Size(size))?;
                    Ok(Record::Size(size))
                }
                TAG_WRITE | TAG_ZERO => {
                    let off = self.u64()?;
                    let len = self.u64()?;
                    let data = if tag == TAG_WRITE { len } else { 0 };
                    let needed = data.checked_add(16).ok_or(Error::InvalidArgument("extent length overflows"))?;
                    self.check_len(announced, needed)?;
                    self.rules.extent(off, len)?;
                    if tag == TAG_ZERO {
                        Ok(Record::Zero { off, len })
                    } else {
                        self.pending = len;
                        Ok(Record::Data { off, len })
                    }
                }
                TAG_END => {
                    self.rules.end()?;
                    Ok(Record::End)
                }
                _ => match announced {
                    // v2 is made so that readers can step over what they do not know.
                    Some(n) => {
                        self.rules.open()?;
                        skip(&mut self.inner, n)?;
                        continue;
                    }
                    None => Err(Error::InvalidArgument("unknown record tag")),
                },
            };
        }
    }

    /// Reads data of the current `'w'` record into `buf`; returns how many bytes (0 when the
    /// record's data is used up). Short only at the record's end.
    pub fn read_data(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = (buf.len() as u64).min(self.pending) as usize;
        read_exact(&mut self.inner, &mut buf[..n])?;
        self.pending -= n as u64;
        Ok(n)
    }

    /// Discards `n` bytes of the current `'w'` record's data.
    pub fn skip_data(&mut self, n: u64) -> Result<()> {
        if n > self.pending {
            return Err(Error::InvalidArgument("skipping past the record's data"));
        }
        skip(&mut self.inner, n)?;
        self.pending -= n;
        Ok(())
    }
}

fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<()> {
    r.read_exact(buf).map_err(io_err)
}

fn read_u64(r: &mut impl Read) -> Result<u64> {
    let mut b = [0u8; 8];
    read_exact(r, &mut b)?;
    Ok(u64::from_le_bytes(b))
}

/// Consumes `n` bytes without keeping them.
fn skip(r: &mut impl Read, n: u64) -> Result<()> {
    let got = io::copy(&mut r.take(n), &mut io::sink()).map_err(io_err)?;
    if got != n {
        return Err(Error::InvalidArgument("truncated stream"));
    }
    Ok(())
}

/// Fills `buf` as far as the stream allows; returns how much (less only at the end).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(io_err(e)),
        }
    }
    Ok(got)
}

/// Splits `buf` (image bytes at `base`) into runs of all-zero and other blocks of `sparse`
/// bytes, blocks aligned to image offsets so that holes line up with the store's granularity.
/// Returns (start in buf, length, all zero). `sparse` 0 turns sparseness off.
fn sparse_runs(buf: &[u8], base: u64, sparse: usize) -> Vec<(usize, usize, bool)> {
    if sparse == 0 {
        return if buf.is_empty() { Vec::new() } else { vec![(0, buf.len(), false)] };
    }
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = 0;
    while i < buf.len() {
        let into_block = ((base + i as u64) % sparse as u64) as usize;
        let n = (sparse - into_block).min(buf.len() - i);
        let zero = buf[i..i + n].iter().all(|b| *b == 0);
        match runs.last_mut() {
            Some(last) if last.2 == zero => last.1 += n,
            _ => runs.push((i, n, zero)),
        }
        i += n;
    }
    runs
}

/// Everything before the first data record of a diff.
struct Prefix {
    from: Option<String>,
    to: Option<String>,
    protected: bool,
    size: u64,
    /// The first data record, or the end.
    first: Record,
}

fn read_prefix<R: Read>(r: &mut DiffReader<R>) -> Result<Prefix> {
    let (mut from, mut to, mut protected) = (None, None, false);
    loop {
        match r.next_record()? {
            Record::FromSnap(n) => from = Some(n),
            Record::ToSnap(n) => to = Some(n),
            Record::Protected(p) => protected = p,
            Record::Size(_) => {}
            first => {
                // The reader refuses data or an end before the size record.
                let size = r.size().ok_or(Error::InvalidArgument("stream without an image size record"))?;
                return Ok(Prefix { from, to, protected, size, first });
            }
        }
    }
}

/// Name of the snapshot a handle reads, if any.
fn view_name(image: &Image) -> Result<Option<String>> {
    match image.current_snap() {
        Some(id) => Ok(Some(image.snap_name(id)?)),
        None => Ok(None),
    }
}

/// `rbd export-diff`: writes what changed from `from_snap` (None: from nothing) to the version
/// `image` reads (its snapshot, named as the end snapshot, or the head). Changed data goes out
/// as `'w'` records of at most [`CHUNK`] bytes, except chunks that read as zeros, which become
/// `'z'` as do extents the image no longer has. `progress(done, total)` counts image bytes.
pub fn export_diff(
    image: &Image,
    from_snap: Option<&str>,
    whole_object: bool,
    version: Format,
    out: impl Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let mut out = BufWriter::new(out);
    export_diff_to(image, from_snap, whole_object, version, &mut out, progress)?;
    out.flush().map_err(io_err)
}

fn export_diff_to<W: Write>(
    image: &Image,
    from_snap: Option<&str>,
    whole_object: bool,
    version: Format,
    out: W,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let size = image.size()?;
    let to = view_name(image)?;
    // Collected before anything is written, so that a bad from-snapshot leaves no output.
    let mut extents = Vec::new();
    image.diff_iterate(from_snap, 0, size, true, whole_object, |off, len, exists| {
        extents.push((off, len, exists));
        0
    })?;
    let mut w = DiffWriter::new(out, version)?;
    if let Some(f) = from_snap {
        w.from_snap(f)?;
    }
    if let Some(t) = &to {
        w.to_snap(t)?;
        if version == Format::V2 {
            w.protected(image.snap_is_protected(t)?)?;
        }
    }
    w.size(size)?;
    let mut buf = Vec::new();
    for (off, len, exists) in extents {
        if !exists {
            w.zero(off, len)?;
            progress(off + len, size);
            continue;
        }
        let end = off + len;
        let mut pos = off;
        while pos < end {
            let n = (end - pos).min(CHUNK as u64) as usize;
            buf.resize(n, 0);
            let got = image.read(pos, &mut buf)?;
            if got != n {
                return Err(Error::InvalidArgument("image shrank during export"));
            }
            if buf.iter().all(|b| *b == 0) {
                w.zero(pos, n as u64)?;
            } else {
                w.data(pos, &buf)?;
            }
            pos += n as u64;
            progress(pos, size);
        }
    }
    w.end()?;
    progress(size, size);
    Ok(())
}

/// `rbd import-diff`: applies a diff stream (v1 or v2) to the head of `image`, then creates the
/// end snapshot if the stream names one (protected if a v2 stream says so).
///
/// As Ceph: the start snapshot must exist in the image (else `InvalidArgument`), the end
/// snapshot must not (`Exists`); the image is resized to the stream's size; within `'w'` data,
/// all-zero blocks of `sparse_size` bytes are zeroed rather than written. All of that is checked
/// before the first change; a stream found malformed later fails with what came before it
/// applied, as with Ceph.
pub fn import_diff(
    image: &Image,
    input: impl Read,
    sparse_size: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let mut r = DiffReader::new(BufReader::new(input))?;
    apply_diff(image, &mut r, sparse_size, true, progress)
}

/// Applies one diff. `zero_holes` false skips all-zero blocks of `'w'` data instead of zeroing
/// them: right for a freshly created image, which reads zeros there already.
fn apply_diff<R: Read>(
    image: &Image,
    r: &mut DiffReader<R>,
    sparse_size: usize,
    zero_holes: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    image.check_writable()?;
    let p = read_prefix(r)?;
    if let Some(f) = &p.from {
        if !image.snap_exists(f)? {
            return Err(Error::InvalidArgument("start snapshot does not exist in the image"));
        }
    }
    if let Some(t) = &p.to {
        check_snap_name(t)?;
        if image.snap_exists(t)? {
            return Err(Error::Exists);
        }
    }
    if image.size()? != p.size {
        image.resize(p.size)?;
    }
    let mut rec = p.first;
    let mut buf = Vec::new();
    loop {
        match rec {
            Record::Data { off, len } => {
                let end = off + len;
                let mut pos = off;
                while pos < end {
                    let n = (end - pos).min(CHUNK as u64) as usize;
                    buf.resize(n, 0);
                    if r.read_data(&mut buf)? != n {
                        return Err(Error::InvalidArgument("truncated stream"));
                    }
                    for (at, len, zero) in sparse_runs(&buf, pos, sparse_size) {
                        let o = pos + at as u64;
                        if !zero {
                            image.write(o, &buf[at..at + len])?;
                        } else if zero_holes {
                            image.write_zeroes(o, len as u64, false)?;
                        }
                    }
                    pos += n as u64;
                }
                progress(end, p.size);
            }
            Record::Zero { off, len } => {
                image.write_zeroes(off, len, false)?;
                progress(off + len, p.size);
            }
            Record::End => break,
            _ => return Err(Error::InvalidArgument("metadata record after data records")),
        }
        rec = r.next_record()?;
    }
    image.flush()?;
    if let Some(t) = &p.to {
        image.snap_create(t)?;
        if p.protected {
            image.snap_protect(t)?;
        }
    }
    progress(p.size, p.size);
    Ok(())
}

/// An extent of a diff being merged: `data` says whether its bytes follow in the stream.
#[derive(Debug, Clone, Copy)]
struct Ext {
    off: u64,
    len: u64,
    data: bool,
}

impl Ext {
    fn end(&self) -> u64 {
        self.off + self.len
    }

    /// What is left after the first `n` bytes, if anything.
    fn advance(self, n: u64) -> Option<Ext> {
        (n < self.len).then(|| Ext { off: self.off + n, len: self.len - n, data: self.data })
    }
}

/// One input of a merge: its extents in order, then an optional extra extent after its end.
struct Side<R: Read> {
    r: DiffReader<R>,
    first: Option<Record>,
    done: bool,
    tail: Option<Ext>,
}

impl<R: Read> Side<R> {
    fn next(&mut self) -> Result<Option<Ext>> {
        loop {
            if self.done {
                return Ok(self.tail.take());
            }
            let rec = match self.first.take() {
                Some(rec) => rec,
                None => self.r.next_record()?,
            };
            match rec {
                Record::Data { len: 0, .. } | Record::Zero { len: 0, .. } => {}
                Record::Data { off, len } => return Ok(Some(Ext { off, len, data: true })),
                Record::Zero { off, len } => return Ok(Some(Ext { off, len, data: false })),
                Record::End => self.done = true,
                _ => return Err(Error::InvalidArgument("metadata record after data records")),
            }
        }
    }

    /// Copies extent `e` (its data from this side's stream) to the output.
    fn emit<W: Write>(&mut self, w: &mut DiffWriter<W>, e: Ext, buf: &mut Vec<u8>) -> Result<()> {
        if !e.data {
            return w.zero(e.off, e.len);
        }
        w.begin_data(e.off, e.len)?;
        let mut left = e.len;
        while left > 0 {
            buf.resize((left.min(CHUNK as u64)) as usize, 0);
            let n = self.r.read_data(buf)?;
            if n == 0 {
                return Err(Error::InvalidArgument("truncated stream"));
            }
            w.write_data(&buf[..n])?;
            left -= n as u64;
        }
        Ok(())
    }
}

/// `rbd merge-diff`: one diff equivalent to applying `first` then `second`, from the first's
/// start snapshot to the second's end snapshot, with the second's size. The first's end
/// snapshot must be the second's start (both absent counts as equal, as in Ceph). Where both
/// touch a range the second wins; the first's data beyond the final size is dropped; if the
/// second grew the image past the first's size, that range is zeroed unless the second wrote
/// it (the shrink in between had cut whatever the base held there).
///
/// Inputs may be v1 or v2 (Ceph reads only v1; v2 input is accepted here because it is the
/// same information); the output is v1, as Ceph writes it. Both inputs are streamed.
pub fn merge_diff(first: impl Read, second: impl Read, out: impl Write) -> Result<()> {
    let mut r1 = DiffReader::new(BufReader::new(first))?;
    let mut r2 = DiffReader::new(BufReader::new(second))?;
    let p1 = read_prefix(&mut r1)?;
    let p2 = read_prefix(&mut r2)?;
    if p1.to != p2.from {
        return Err(Error::InvalidArgument("the first diff's end snapshot is not the second's start"));
    }
    let size = p2.size;
    let mut w = DiffWriter::new(BufWriter::new(out), Format::V1)?;
    if let Some(f) = &p1.from {
        w.from_snap(f)?;
    }
    if let Some(t) = &p2.to {
        w.to_snap(t)?;
    }
    w.size(size)?;
    let grown = (p1.size < size).then(|| Ext { off: p1.size, len: size - p1.size, data: false });
    let mut s1 = Side { r: r1, first: Some(p1.first), done: false, tail: grown };
    let mut s2 = Side { r: r2, first: Some(p2.first), done: false, tail: None };
    let mut buf = Vec::new();
    let (mut a, mut b) = (s1.next()?, s2.next()?);
    loop {
        // The first's extents are cut at the final size (the rest of their data is skipped by
        // the reader); whole extents past it are read through, so that the stream is checked.
        if let Some(x) = a {
            if x.off >= size {
                a = s1.next()?;
                continue;
            }
            if x.end() > size {
                a = Some(Ext { len: size - x.off, ..x });
            }
        }
        match (a, b) {
            (None, None) => break,
            (Some(x), None) => {
                s1.emit(&mut w, x, &mut buf)?;
                a = s1.next()?;
            }
            (None, Some(y)) => {
                s2.emit(&mut w, y, &mut buf)?;
                b = s2.next()?;
            }
            (Some(x), Some(y)) => {
                if x.off < y.off {
                    // The part of the first's extent before the second's.
                    let n = x.len.min(y.off - x.off);
                    s1.emit(&mut w, Ext { len: n, ..x }, &mut buf)?;
                    a = match x.advance(n) {
                        Some(rest) => Some(rest),
                        None => s1.next()?,
                    };
                } else if x.off < y.end() {
                    // Overridden by the second.
                    let n = x.len.min(y.end() - x.off);
                    if x.data {
                        s1.r.skip_data(n)?;
                    }
                    a = match x.advance(n) {
                        Some(rest) => Some(rest),
                        None => s1.next()?,
                    };
                } else {
                    s2.emit(&mut w, y, &mut buf)?;
                    b = s2.next()?;
                }
            }
        }
    }
    w.end()?.flush().map_err(io_err)
}

/// Image properties of an export-format-2 stream.
#[derive(Debug, Default, PartialEq, Eq)]
struct ImageProps {
    order: Option<u64>,
    features: Option<u64>,
    stripe_unit: Option<u64>,
    stripe_count: Option<u64>,
    meta: Vec<(String, String)>,
}

fn put(out: &mut impl Write, bytes: &[u8]) -> Result<()> {
    out.write_all(bytes).map_err(io_err)
}

fn put_u64_record(out: &mut impl Write, tag: u8, v: u64) -> Result<()> {
    put(out, &[tag])?;
    put(out, &8u64.to_le_bytes())?;
    put(out, &v.to_le_bytes())
}

/// Banner, property records and their end record.
fn write_image_props(out: &mut impl Write, p: &ImageProps) -> Result<()> {
    put(out, IMAGE_BANNER_V2)?;
    for (tag, v) in [
        (TAG_ORDER, p.order),
        (TAG_FEATURES, p.features),
        (TAG_STRIPE_UNIT, p.stripe_unit),
        (TAG_STRIPE_COUNT, p.stripe_count),
    ] {
        if let Some(v) = v {
            put_u64_record(out, tag, v)?;
        }
    }
    for (k, v) in &p.meta {
        put(out, &[TAG_META])?;
        put(out, &(8 + k.len() as u64 + v.len() as u64).to_le_bytes())?;
        put(out, &(k.len() as u32).to_le_bytes())?;
        put(out, k.as_bytes())?;
        put(out, &(v.len() as u32).to_le_bytes())?;
        put(out, v.as_bytes())?;
    }
    put(out, &[TAG_IMAGE_END])
}

fn read_image_props(r: &mut impl Read) -> Result<ImageProps> {
    let mut banner = [0u8; 13];
    read_exact(r, &mut banner)?;
    if banner != IMAGE_BANNER_V2 {
        return Err(Error::InvalidArgument("not an rbd export-format-2 stream"));
    }
    let mut p = ImageProps::default();
    loop {
        let mut tag = [0u8; 1];
        read_exact(r, &mut tag)?;
        if tag[0] == TAG_IMAGE_END {
            return Ok(p);
        }
        let len = read_u64(r)?;
        let slot = match tag[0] {
            TAG_ORDER => &mut p.order,
            TAG_FEATURES => &mut p.features,
            TAG_STRIPE_UNIT => &mut p.stripe_unit,
            TAG_STRIPE_COUNT => &mut p.stripe_count,
            TAG_META => {
                if len > MAX_META_RECORD {
                    return Err(Error::InvalidArgument("image metadata record too large"));
                }
                let mut rec = vec![0u8; len as usize];
                read_exact(r, &mut rec)?;
                p.meta.push(split_meta(&rec)?);
                continue;
            }
            // 'F' (image format) is documented but neither written nor read by Ceph; it and
            // anything unknown are stepped over by length.
            _ => {
                skip(r, len)?;
                continue;
            }
        };
        if len != 8 {
            return Err(Error::InvalidArgument("record length does not match its contents"));
        }
        if slot.is_some() {
            return Err(Error::InvalidArgument("repeated metadata record"));
        }
        *slot = Some(read_u64(r)?);
    }
}

/// An `'M'` payload: le32 length + key, le32 length + value, nothing after.
fn split_meta(rec: &[u8]) -> Result<(String, String)> {
    let bad = Error::InvalidArgument("malformed image metadata record");
    let mut parts = Vec::with_capacity(2);
    let mut rest = rec;
    for _ in 0..2 {
        let (n, tail) = rest.split_first_chunk::<4>().ok_or(Error::InvalidArgument("truncated metadata record"))?;
        let n = u32::from_le_bytes(*n) as usize;
        if n > tail.len() {
            return Err(Error::InvalidArgument("truncated metadata record"));
        }
        let (s, tail) = tail.split_at(n);
        parts.push(String::from_utf8(s.to_vec()).map_err(|_| Error::InvalidArgument("metadata is not UTF-8"))?);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(bad);
    }
    let v = parts.pop().unwrap_or_default();
    let k = parts.pop().unwrap_or_default();
    Ok((k, v))
}

/// `rbd export`: format V1 writes the bytes of the version `image` reads; format V2 writes the
/// image's properties and metadata, then one diff per snapshot (oldest first, each from the
/// previous) and a last one to the head. As Ceph, V2 exports every snapshot and the head
/// whatever snapshot the handle reads. `progress(done, total)`: bytes for V1, diffs for V2.
pub fn export_image(image: &Image, format: Format, out: impl Write, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    let mut out = BufWriter::new(out);
    match format {
        Format::V1 => export_raw(image, &mut out, progress)?,
        Format::V2 => export_v2(image, &mut out, progress)?,
    }
    out.flush().map_err(io_err)
}

fn export_raw(image: &Image, out: &mut impl Write, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    let size = image.size()?;
    let mut buf = vec![0u8; (size.min(CHUNK as u64)) as usize];
    let mut pos = 0;
    while pos < size {
        let n = (size - pos).min(CHUNK as u64) as usize;
        if image.read(pos, &mut buf[..n])? != n {
            return Err(Error::InvalidArgument("image shrank during export"));
        }
        put(out, &buf[..n])?;
        pos += n as u64;
        progress(pos, size);
    }
    Ok(())
}

fn export_v2(image: &Image, out: &mut impl Write, progress: &mut dyn FnMut(u64, u64)) -> Result<()> {
    let h = image.header()?;
    let props = ImageProps {
        order: Some(h.order as u64),
        features: Some(h.features),
        stripe_unit: Some(h.stripe_unit),
        stripe_count: Some(h.stripe_count),
        meta: image.metadata_list("", 0)?,
    };
    write_image_props(out, &props)?;
    let mut snaps = image.snap_list()?;
    snaps.sort_by_key(|s| s.id);
    let count = snaps.len() as u64 + 1;
    put(out, IMAGE_DIFFS_BANNER_V2)?;
    put(out, &count.to_le_bytes())?;
    // Other versions are read through handles of their own, so the caller's view is untouched.
    let mut prev: Option<String> = None;
    for (i, s) in snaps.iter().enumerate() {
        let at = Image::open_by_id(image.ioctx(), image.id(), Some(&s.name), true)?;
        export_diff_to(&at, prev.as_deref(), false, Format::V2, &mut *out, &mut |_, _| {})?;
        at.close()?;
        progress(i as u64 + 1, count);
        prev = Some(s.name.clone());
    }
    if image.current_snap().is_none() {
        export_diff_to(image, prev.as_deref(), false, Format::V2, &mut *out, &mut |_, _| {})?;
    } else {
        let head = Image::open_by_id(image.ioctx(), image.id(), None, true)?;
        export_diff_to(&head, prev.as_deref(), false, Format::V2, &mut *out, &mut |_, _| {})?;
        head.close()?;
    }
    progress(count, count);
    Ok(())
}

/// How [`import_image`] reads its stream and creates the image.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub format: Format,
    /// Options given by the user. With format V2 the stream's order, features and striping
    /// fill in what is left unset here (as Ceph, the user's choice wins).
    pub create: CreateOptions,
    /// Format V1: the stream's length if known (a file's size). Without it the image starts
    /// empty and grows as data arrives, then is cut to what arrived. With it the image has at
    /// least this size.
    pub size_hint: Option<u64>,
    /// All-zero blocks of this size are not written (0: write everything).
    pub sparse_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: Format::V1,
            create: CreateOptions::default(),
            size_hint: None,
            sparse_size: DEFAULT_SPARSE_SIZE,
        }
    }
}

/// `rbd import`: creates image `name` and fills it from an export stream; with format V2 also
/// its metadata and snapshots (each created, and protected if it was, after its diff). On a
/// failure after creation the partial image is removed again, as Ceph does.
/// `progress(done, total)`: bytes for V1 (total 0 when unknown), diffs for V2.
pub fn import_image(
    ioctx: &IoCtx,
    name: &str,
    input: impl Read,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let mut input = BufReader::new(input);
    let (create, size, meta) = match opts.format {
        Format::V1 => (opts.create.clone(), opts.size_hint.unwrap_or(0), Vec::new()),
        Format::V2 => {
            let props = read_image_props(&mut input)?;
            let create = merge_create_options(&opts.create, &props)?;
            // The first diff sets the size.
            (create, 0, props.meta)
        }
    };
    manage::create(ioctx, name, size, &create)?;
    let filled = Image::open(ioctx, name, None, false).and_then(|img| {
        let r = fill_image(&img, &mut input, opts, &meta, progress);
        let closed = img.close();
        r.and(closed)
    });
    if filled.is_err() {
        remove_partial(ioctx, name);
    }
    filled
}

/// The user's options, completed from the stream's properties. Features the stream has but
/// this implementation cannot provide (journaling, ...) are dropped rather than failing the
/// import; the stream's striping is taken only when it really stripes, so that choosing
/// another order does not clash with a stripe unit that merely equalled the old object size.
fn merge_create_options(user: &CreateOptions, p: &ImageProps) -> Result<CreateOptions> {
    let order = match p.order {
        Some(o) => Some(u8::try_from(o).map_err(|_| Error::Domain)?),
        None => None,
    };
    let stream_obj = order.filter(|o| *o < 64).map(|o| 1u64 << o);
    let striped = p.stripe_count.unwrap_or(1) != 1 || (p.stripe_unit.is_some() && p.stripe_unit != stream_obj);
    Ok(CreateOptions {
        order: user.order.filter(|o| *o != 0).or(order),
        features: user.features.or(p.features.map(|f| f & features::SUPPORTED)),
        stripe_unit: user.stripe_unit.or(p.stripe_unit.filter(|_| striped)),
        stripe_count: user.stripe_count.or(p.stripe_count.filter(|_| striped)),
        data_pool: user.data_pool.clone(),
    })
}

fn fill_image<R: Read>(
    img: &Image,
    input: &mut R,
    opts: &ImportOptions,
    meta: &[(String, String)],
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    match opts.format {
        Format::V1 => import_raw(img, input, opts, progress),
        Format::V2 => {
            for (k, v) in meta {
                img.metadata_set(k, v)?;
            }
            let mut banner = [0u8; 19];
            read_exact(input, &mut banner)?;
            if banner != IMAGE_DIFFS_BANNER_V2 {
                return Err(Error::InvalidArgument("missing the diffs banner of an export-format-2 stream"));
            }
            let count = read_u64(input)?;
            for i in 0..count {
                let mut r = DiffReader::expect(&mut *input, Format::V2)?;
                apply_diff(img, &mut r, opts.sparse_size, true, &mut |_, _| {})?;
                progress(i + 1, count);
            }
            Ok(())
        }
    }
}

/// Raw bytes: written where not zero, growing the image as needed (by doubling, as Ceph does
/// for a pipe), then cut to the length that arrived (never below the size hint).
fn import_raw<R: Read>(
    img: &Image,
    input: &mut R,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    let total = opts.size_hint.unwrap_or(0);
    let mut size = img.size()?;
    let mut buf = vec![0u8; CHUNK];
    let mut pos = 0u64;
    loop {
        let n = read_full(input, &mut buf)?;
        if n == 0 {
            break;
        }
        let end = pos.checked_add(n as u64).ok_or(Error::InvalidArgument("stream too long"))?;
        if end > size {
            size = end.max(size.saturating_mul(2));
            img.resize(size)?;
        }
        for (at, len, zero) in sparse_runs(&buf[..n], pos, opts.sparse_size) {
            if !zero {
                img.write(pos + at as u64, &buf[at..at + len])?;
            }
        }
        pos = end;
        progress(pos, total);
    }
    let want = pos.max(total);
    if img.size()? != want {
        img.resize(want)?;
    }
    img.flush()
}

/// Best effort: takes away an image an import created and could not finish.
fn remove_partial(ioctx: &IoCtx, name: &str) {
    if let Ok(img) = Image::open(ioctx, name, None, false) {
        for s in img.snap_list().unwrap_or_default() {
            if s.protected {
                let _ = img.snap_unprotect(&s.name);
            }
            let _ = img.snap_remove_by_id(s.id);
        }
        let _ = img.close();
    }
    let _ = manage::remove(ioctx, name);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le32(v: u32) -> [u8; 4] {
        v.to_le_bytes()
    }
    fn le64(v: u64) -> [u8; 8] {
        v.to_le_bytes()
    }

    /// Every record of a stream, with each 'w' record's bytes.
    type Decoded = (Format, Vec<(Record, Vec<u8>)>);

    fn decode(bytes: &[u8]) -> Result<Decoded> {
        let mut r = DiffReader::new(bytes)?;
        let mut out = Vec::new();
        loop {
            let rec = r.next_record()?;
            let mut data = Vec::new();
            if let Record::Data { len, .. } = rec {
                let mut buf = [0u8; 3];
                let mut left = len;
                while left > 0 {
                    let n = r.read_data(&mut buf)?;
                    data.extend_from_slice(&buf[..n]);
                    left -= n as u64;
                }
            }
            let end = rec == Record::End;
            out.push((rec, data));
            if end {
                return Ok((r.version(), out));
            }
        }
    }

    fn sample(version: Format) -> Vec<u8> {
        let mut w = DiffWriter::new(Vec::new(), version).unwrap();
        w.from_snap("a").unwrap();
        w.to_snap("bee").unwrap();
        if version == Format::V2 {
            w.protected(true).unwrap();
        }
        w.size(100).unwrap();
        w.data(0, b"hello").unwrap();
        w.zero(10, 5).unwrap();
        w.begin_data(20, 4).unwrap();
        w.write_data(b"ab").unwrap();
        w.write_data(b"cd").unwrap();
        w.zero(24, 76).unwrap();
        w.end().unwrap()
    }

    #[test]
    fn v1_bytes_are_the_documented_ones() {
        let mut want = b"rbd diff v1\n".to_vec();
        want.push(b'f');
        want.extend(le32(1));
        want.extend(b"a");
        want.push(b't');
        want.extend(le32(3));
        want.extend(b"bee");
        want.push(b's');
        want.extend(le64(100));
        want.push(b'w');
        want.extend(le64(0));
        want.extend(le64(5));
        want.extend(b"hello");
        want.push(b'z');
        want.extend(le64(10));
        want.extend(le64(5));
        want.push(b'w');
        want.extend(le64(20));
        want.extend(le64(4));
        want.extend(b"abcd");
        want.push(b'z');
        want.extend(le64(24));
        want.extend(le64(76));
        want.push(b'e');
        assert_eq!(sample(Format::V1), want);
    }

    #[test]
    fn v2_bytes_are_the_documented_ones() {
        let mut want = b"rbd diff v2\n".to_vec();
        want.push(b'f');
        want.extend(le64(5));
        want.extend(le32(1));
        want.extend(b"a");
        want.push(b't');
        want.extend(le64(7));
        want.extend(le32(3));
        want.extend(b"bee");
        want.push(b'p');
        want.extend(le64(1));
        want.push(1);
        want.push(b's');
        want.extend(le64(8));
        want.extend(le64(100));
        want.push(b'w');
        want.extend(le64(21));
        want.extend(le64(0));
        want.extend(le64(5));
        want.extend(b"hello");
        want.push(b'z');
        want.extend(le64(16));
        want.extend(le64(10));
        want.extend(le64(5));
        want.push(b'w');
        want.extend(le64(20));
        want.extend(le64(20));
        want.extend(le64(4));
        want.extend(b"abcd");
        want.push(b'z');
        want.extend(le64(16));
        want.extend(le64(24));
        want.extend(le64(76));
        want.push(b'e');
        assert_eq!(sample(Format::V2), want);
    }

    #[test]
    fn round_trips() {
        for v in [Format::V1, Format::V2] {
            let (version, recs) = decode(&sample(v)).unwrap();
            assert_eq!(version, v);
            let mut want = vec![
                (Record::FromSnap("a".into()), vec![]),
                (Record::ToSnap("bee".into()), vec![]),
                (Record::Size(100), vec![]),
                (Record::Data { off: 0, len: 5 }, b"hello".to_vec()),
                (Record::Zero { off: 10, len: 5 }, vec![]),
                (Record::Data { off: 20, len: 4 }, b"abcd".to_vec()),
                (Record::Zero { off: 24, len: 76 }, vec![]),
                (Record::End, vec![]),
            ];
            if v == Format::V2 {
                want.insert(2, (Record::Protected(true), vec![]));
            }
            assert_eq!(recs, want);
        }
    }

    #[test]
    fn unread_data_is_skipped_and_end_repeats() {
        let bytes = sample(Format::V1);
        let mut r = DiffReader::new(&bytes[..]).unwrap();
        let mut recs = Vec::new();
        loop {
            let rec = r.next_record().unwrap();
            if let Record::Data { off: 20, .. } = rec {
                let mut b = [0u8; 1];
                assert_eq!(r.read_data(&mut b).unwrap(), 1);
            }
            if rec == Record::End {
                break;
            }
            recs.push(rec);
        }
        assert_eq!(recs.len(), 7);
        assert_eq!(r.next_record().unwrap(), Record::End);
    }

    fn invalid(bytes: &[u8]) {
        match decode(bytes) {
            Err(Error::InvalidArgument(_)) => {}
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    fn v1(body: &[u8]) -> Vec<u8> {
        let mut b = DIFF_BANNER_V1.to_vec();
        b.extend_from_slice(body);
        b
    }

    fn v2(body: &[u8]) -> Vec<u8> {
        let mut b = DIFF_BANNER_V2.to_vec();
        b.extend_from_slice(body);
        b
    }

    fn size_rec(s: u64) -> Vec<u8> {
        let mut b = vec![b's'];
        b.extend(le64(s));
        b
    }

    fn ext(tag: u8, off: u64, len: u64) -> Vec<u8> {
        let mut b = vec![tag];
        b.extend(le64(off));
        b.extend(le64(len));
        b
    }

    #[test]
    fn bad_headers() {
        invalid(b"");
        invalid(b"rbd diff v1");
        invalid(b"rbd diff v3\ne");
        invalid(b"RBD DIFF V1\ne");
        invalid(b"rbd image v2\n");
    }

    #[test]
    fn unknown_tags() {
        let mut body = size_rec(10);
        body.push(b'X');
        body.push(b'e');
        invalid(&v1(&body));
        // 'p' exists only in v2.
        let mut body = size_rec(10);
        body.extend([b'p', 1, b'e']);
        invalid(&v1(&body));
        // v2 skips unknown records by their length.
        let mut body = vec![b'X'];
        body.extend(le64(3));
        body.extend(b"xyz");
        body.push(b's');
        body.extend(le64(8));
        body.extend(le64(10));
        body.push(b'e');
        let (_, recs) = decode(&v2(&body)).unwrap();
        assert_eq!(recs.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), vec![Record::Size(10), Record::End]);
        // ... but not past the stream's end.
        let mut body = vec![b'X'];
        body.extend(le64(u64::MAX));
        body.extend(b"xyz");
        invalid(&v2(&body));
    }

    #[test]
    fn every_truncation_is_rejected() {
        for v in [Format::V1, Format::V2] {
            let bytes = sample(v);
            for cut in 0..bytes.len() {
                invalid(&bytes[..cut]);
            }
        }
    }

    #[test]
    fn offsets_must_increase_without_overlap() {
        let mut body = size_rec(100);
        body.extend(ext(b'z', 50, 10));
        body.extend(ext(b'z', 40, 5));
        body.push(b'e');
        invalid(&v1(&body));
        let mut body = size_rec(100);
        body.extend(ext(b'z', 50, 10));
        body.extend(ext(b'z', 59, 5));
        body.push(b'e');
        invalid(&v1(&body));
        // Adjacent is fine.
        let mut body = size_rec(100);
        body.extend(ext(b'z', 50, 10));
        body.extend(ext(b'z', 60, 5));
        body.push(b'e');
        decode(&v1(&body)).unwrap();
    }

    #[test]
    fn lengths_that_overflow_or_pass_the_size() {
        let mut body = size_rec(u64::MAX);
        body.extend(ext(b'w', 1, u64::MAX));
        invalid(&v1(&body));
        // Within a huge size, a huge claim only fails when its bytes are missing, and nothing
        // of that size is allocated on the way.
        let mut body = size_rec(u64::MAX);
        body.extend(ext(b'w', 0, u64::MAX));
        body.extend(b"abc");
        invalid(&v1(&body));
        // v2: 16 + length overflows.
        let mut body = vec![b's'];
        body.extend(le64(8));
        body.extend(le64(u64::MAX));
        body.push(b'w');
        body.extend(le64(u64::MAX));
        body.extend(le64(0));
        body.extend(le64(u64::MAX));
        invalid(&v2(&body));
        let mut body = size_rec(100);
        body.extend(ext(b'z', 90, 11));
        body.push(b'e');
        invalid(&v1(&body));
        let mut body = size_rec(100);
        body.extend(ext(b'z', 100, 1));
        body.push(b'e');
        invalid(&v1(&body));
    }

    #[test]
    fn structure_errors() {
        // missing 'e'
        let mut body = size_rec(100);
        body.extend(ext(b'z', 0, 10));
        invalid(&v1(&body));
        // no size
        invalid(&v1(b"e"));
        invalid(&v1(&ext(b'z', 0, 1)));
        // metadata after data
        let mut body = size_rec(100);
        body.extend(ext(b'z', 0, 10));
        body.extend([b't', 1, 0, 0, 0, b'x', b'e']);
        invalid(&v1(&body));
        // repeated metadata
        let mut body = size_rec(100);
        body.extend(size_rec(100));
        body.push(b'e');
        invalid(&v1(&body));
        // names: empty, too long, not UTF-8
        invalid(&v1(&[b'f', 0, 0, 0, 0, b's', 0, 0, 0, 0, 0, 0, 0, 0, b'e']));
        let mut body = vec![b'f'];
        body.extend(le32(5000));
        body.extend(vec![b'a'; 5000]);
        body.extend(size_rec(1));
        body.push(b'e');
        invalid(&v1(&body));
        invalid(&v1(&[b'f', 1, 0, 0, 0, 0xff, b's', 0, 0, 0, 0, 0, 0, 0, 0, b'e']));
        // v2 length disagreeing with the payload
        let mut body = vec![b's'];
        body.extend(le64(9));
        body.extend(le64(100));
        body.push(b'e');
        invalid(&v2(&body));
        let mut body = vec![b's'];
        body.extend(le64(8));
        body.extend(le64(100));
        body.push(b'z');
        body.extend(le64(17));
        body.extend(le64(0));
        body.extend(le64(1));
        body.push(b'e');
        invalid(&v2(&body));
    }

    #[test]
    fn random_corruption_never_panics() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for v in [Format::V1, Format::V2] {
            let good = sample(v);
            for _ in 0..3000 {
                let mut b = good.clone();
                for _ in 0..rng.gen_range(1..4) {
                    let i = rng.gen_range(0..b.len());
                    b[i] = rng.gen();
                }
                let _ = decode(&b);
            }
        }
    }

    #[test]
    fn writer_refuses_malformed_streams() {
        let mut w = DiffWriter::new(Vec::new(), Format::V1).unwrap();
        assert!(w.zero(0, 1).is_err(), "data before the size");
        w.size(100).unwrap();
        assert!(w.protected(true).is_err(), "v1 has no protection record");
        w.zero(10, 10).unwrap();
        assert!(w.zero(5, 1).is_err());
        assert!(w.zero(90, 11).is_err());
        assert!(w.to_snap("late").is_err());
        w.begin_data(30, 2).unwrap();
        assert!(w.write_data(b"abc").is_err());
        w.write_data(b"a").unwrap();
        assert!(w.zero(40, 1).is_err(), "data still owed");
        w.write_data(b"b").unwrap();
        w.end().unwrap();
        let w = DiffWriter::new(Vec::new(), Format::V1).unwrap();
        assert!(w.end().is_err(), "no size");
    }

    #[test]
    fn sparse_runs_align_to_image_offsets() {
        let mut buf = vec![0u8; 10000];
        buf[5000] = 1;
        // base 96: blocks end at image offsets 4096, 8192, ... = buffer 4000, 8096
        assert_eq!(sparse_runs(&buf, 96, 4096), vec![(0, 4000, true), (4000, 4096, false), (8096, 1904, true)]);
        assert_eq!(sparse_runs(&buf, 0, 0), vec![(0, 10000, false)]);
        assert_eq!(sparse_runs(&[], 0, 4096), vec![]);
    }

    fn diff(from: Option<&str>, to: Option<&str>, size: u64, exts: &[(u64, &[u8])], zeros: &[(u64, u64)]) -> Vec<u8> {
        let mut w = DiffWriter::new(Vec::new(), Format::V1).unwrap();
        if let Some(f) = from {
            w.from_snap(f).unwrap();
        }
        if let Some(t) = to {
            w.to_snap(t).unwrap();
        }
        w.size(size).unwrap();
        let mut all: Vec<(u64, Option<&[u8]>, u64)> =
            exts.iter().map(|(o, d)| (*o, Some(*d), d.len() as u64)).collect();
        all.extend(zeros.iter().map(|(o, l)| (*o, None, *l)));
        all.sort_by_key(|e| e.0);
        for (off, data, len) in all {
            match data {
                Some(d) => w.data(off, d).unwrap(),
                None => w.zero(off, len).unwrap(),
            }
        }
        w.end().unwrap()
    }

    /// Applies a decoded diff to a byte model of an image.
    fn apply(model: &mut Vec<u8>, bytes: &[u8]) {
        let (_, recs) = decode(bytes).unwrap();
        for (rec, data) in recs {
            match rec {
                Record::Size(s) => model.resize(s as usize, 0),
                Record::Data { off, .. } => model[off as usize..off as usize + data.len()].copy_from_slice(&data),
                Record::Zero { off, len } => model[off as usize..(off + len) as usize].fill(0),
                _ => {}
            }
        }
    }

    #[test]
    fn merge_overrides_cuts_and_zeroes_growth() {
        let base: Vec<u8> = (0..100u8).map(|i| i | 0x80).collect();
        let cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (
                diff(Some("a"), Some("b"), 100, &[(0, &[1; 10]), (40, &[2; 20])], &[(20, 10)]),
                diff(Some("b"), Some("c"), 50, &[(5, &[3; 20])], &[(45, 3)]),
            ),
            // first shrinks, second grows back: the range between must come back as zeros
            (
                diff(Some("a"), Some("b"), 30, &[(25, &[4; 5])], &[]),
                diff(Some("b"), Some("c"), 90, &[(60, &[5; 10])], &[]),
            ),
            (diff(None, Some("b"), 100, &[(0, &[6; 100])], &[]), diff(Some("b"), None, 100, &[], &[(0, 50)])),
        ];
        for (first, second) in cases {
            let mut want = base.clone();
            apply(&mut want, &first);
            apply(&mut want, &second);
            let mut merged = Vec::new();
            merge_diff(&first[..], &second[..], &mut merged).unwrap();
            let mut got = base.clone();
            apply(&mut got, &merged);
            assert_eq!(got, want);
        }
        // 'f' of the first, 't' of the second
        let first = diff(Some("a"), Some("b"), 10, &[], &[]);
        let second = diff(Some("b"), Some("c"), 10, &[], &[]);
        let mut merged = Vec::new();
        merge_diff(&first[..], &second[..], &mut merged).unwrap();
        let (v, recs) = decode(&merged).unwrap();
        assert_eq!(v, Format::V1);
        assert_eq!(recs[0].0, Record::FromSnap("a".into()));
        assert_eq!(recs[1].0, Record::ToSnap("c".into()));
    }

    /// A random diff over `size` bytes: sorted, non-overlapping data and zero extents.
    fn random_diff(rng: &mut impl rand::Rng, from: &str, to: &str, size: u64) -> Vec<u8> {
        let mut w = DiffWriter::new(Vec::new(), Format::V1).unwrap();
        w.from_snap(from).unwrap();
        w.to_snap(to).unwrap();
        w.size(size).unwrap();
        let mut pos = 0;
        while pos < size {
            pos += rng.gen_range(0..20u64);
            let len = rng.gen_range(1..30u64).min(size.saturating_sub(pos));
            if len == 0 {
                break;
            }
            if rng.gen_bool(0.5) {
                let data: Vec<u8> = (0..len).map(|_| rng.gen_range(1..=255u8)).collect();
                w.data(pos, &data).unwrap();
            } else {
                w.zero(pos, len).unwrap();
            }
            pos += len;
        }
        w.end().unwrap()
    }

    #[test]
    fn merge_matches_applying_both_on_random_diffs() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for _ in 0..500 {
            let base_size = rng.gen_range(0..200usize);
            let base: Vec<u8> = (0..base_size).map(|_| rng.gen_range(1..=255u8)).collect();
            let (s1, s2) = (rng.gen_range(0..200), rng.gen_range(0..200));
            let first = random_diff(&mut rng, "a", "b", s1);
            let second = random_diff(&mut rng, "b", "c", s2);
            let mut want = base.clone();
            apply(&mut want, &first);
            apply(&mut want, &second);
            let mut merged = Vec::new();
            merge_diff(&first[..], &second[..], &mut merged).unwrap();
            let mut got = base.clone();
            apply(&mut got, &merged);
            assert_eq!(got, want);
        }
    }

    #[test]
    fn merge_needs_consecutive_diffs() {
        let first = diff(Some("a"), Some("b"), 10, &[], &[]);
        let second = diff(Some("x"), Some("c"), 10, &[], &[]);
        let r = merge_diff(&first[..], &second[..], Vec::new());
        assert!(matches!(r, Err(Error::InvalidArgument(_))));
        let r = merge_diff(&first[..first.len() - 1], &diff(Some("b"), None, 10, &[], &[])[..], Vec::new());
        assert!(matches!(r, Err(Error::InvalidArgument(_))), "truncated first input");
    }

    #[test]
    fn image_props_round_trip() {
        let p = ImageProps {
            order: Some(22),
            features: Some(61),
            stripe_unit: Some(4 << 20),
            stripe_count: Some(1),
            meta: vec![("conf_rbd_cache".into(), "false".into()), ("k".into(), String::new())],
        };
        let mut b = Vec::new();
        write_image_props(&mut b, &p).unwrap();
        assert_eq!(&b[..13], b"rbd image v2\n");
        assert_eq!(&b[13..30], &[&[b'O'][..], &le64(8), &le64(22)].concat()[..]);
        assert_eq!(read_image_props(&mut &b[..]).unwrap(), p);
        for cut in 0..b.len() {
            assert!(read_image_props(&mut &b[..cut]).is_err());
        }
        // a bad 'M' payload
        let mut b = IMAGE_BANNER_V2.to_vec();
        b.push(b'M');
        b.extend(le64(9));
        b.extend(le32(1));
        b.push(b'k');
        b.extend(le32(1));
        b.push(b'v');
        b.push(b'E');
        assert!(read_image_props(&mut &b[..]).is_err());
        assert!(Format::from_number(3).is_err());
    }
}
