//! `rbd export-diff` streams (v1 and v2) as import-diff and merge-diff decode them: any byte
//! string ends in a record sequence or an error, never a panic or an unbounded allocation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rbdshim_core::stream::{merge_diff, DiffReader, Record};

fuzz_target!(|data: &[u8]| {
    if let Ok(mut r) = DiffReader::new(data) {
        let mut buf = [0u8; 4096];
        for _ in 0..10_000 {
            match r.next_record() {
                Ok(Record::End) | Err(_) => break,
                Ok(Record::Data { len, .. }) => {
                    // Read a little, skip the rest: both must stop at the stream's end.
                    let n = (len as usize).min(buf.len());
                    if r.read_data(&mut buf[..n]).is_err() || r.skip_data(len.saturating_sub(n as u64)).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
            }
        }
    }
    // Two streams merged: split the input where the first one would end.
    let cut = data.first().map(|b| (*b as usize * data.len()) / 256).unwrap_or(0);
    let (a, b) = data.split_at(cut.min(data.len()));
    let _ = merge_diff(a, b, std::io::sink());
});
