//! Reader of the header-like field blocks of report bodies: `message/disposition-notification`
//! (RFC 8098 §3.1) and `message/delivery-status` (RFC 3464 §2.1). Bounded and allocation-light.

/// Most bytes accepted in a report body.
pub(crate) const MAX_REPORT_BYTES: usize = 64 * 1024;
/// Most fields accepted in a report body.
const MAX_FIELDS: usize = 512;

/// One block of fields (blocks are separated by blank lines). Names are lower-cased.
pub(crate) type Block = Vec<(String, String)>;

/// Splits a report body into blocks of `(name, unfolded value)`.
pub(crate) fn parse_blocks(body: &[u8]) -> Result<Vec<Block>, &'static str> {
    if body.len() > MAX_REPORT_BYTES {
        return Err("report body too large");
    }
    let text = std::str::from_utf8(body).map_err(|_| "report body is not UTF-8")?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Block = Vec::new();
    let mut count = 0usize;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match current.last_mut() {
                Some((_, v)) => {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                None => return Err("continuation line without a field"),
            }
            continue;
        }
        let (name, value) = line.split_once(':').ok_or("line without ':'")?;
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("invalid field name");
        }
        count += 1;
        if count > MAX_FIELDS {
            return Err("too many fields");
        }
        current.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    Ok(blocks)
}

/// The first value of `name` (lower-case) in a block.
pub(crate) fn get<'a>(block: &'a Block, name: &str) -> Option<&'a str> {
    block
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Strips an RFC 3464 address-type prefix (`rfc822;addr`) and angle brackets.
pub(crate) fn typed_address(value: &str) -> String {
    let v = value
        .split_once(';')
        .map(|(_, a)| a)
        .unwrap_or(value)
        .trim();
    v.trim_start_matches('<').trim_end_matches('>').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_and_folding() {
        let b = parse_blocks(b"Reporting-MTA: dns; mx\r\nX: a\r\n  b\r\n\r\nAction: delivered\r\n")
            .unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(get(&b[0], "x"), Some("a b"));
        assert_eq!(get(&b[1], "action"), Some("delivered"));
        assert!(parse_blocks(b" orphan\r\n").is_err());
        assert!(parse_blocks(b"no colon\r\n").is_err());
        assert_eq!(typed_address("rfc822; <a@b.fr>"), "a@b.fr");
    }
}
