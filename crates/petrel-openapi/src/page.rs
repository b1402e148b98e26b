//! The three pagination schemes: RAM's `Marker`/`MaxItems` (→ `IsTruncated` + `Marker`),
//! ResourceManager's `PageNumber`/`PageSize` (→ `TotalCount`), and RocketMQ's camelCase
//! `pageNumber`/`pageSize` (→ `data{pageNumber, pageSize, totalCount, list}`).

use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::request::Params;

/// RAM lists: `MaxItems` 1–1000 (default 100). The marker is the sort key of the first item of
/// the next page, so a page stays correct when items are added or removed between calls.
pub(crate) fn by_marker<T>(
    params: &Params,
    mut items: Vec<T>,
    key: impl Fn(&T) -> String,
    render: impl Fn(T) -> Value,
) -> Result<(Vec<Value>, Map<String, Value>), ApiError> {
    let max = usize::try_from(params.int("MaxItems", 1, 1000)?.unwrap_or(100)).unwrap_or(100);
    items.sort_by_key(|a| key(a));
    let start = match params.opt("Marker") {
        Some(marker) => items.partition_point(|i| key(i).as_str() < marker),
        None => 0,
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = rest.get(max).map(&key);
    rest.truncate(max);
    let mut meta = Map::new();
    meta.insert("IsTruncated".to_owned(), json!(next.is_some()));
    if let Some(marker) = next {
        meta.insert("Marker".to_owned(), json!(marker));
    }
    Ok((rest.into_iter().map(render).collect(), meta))
}

/// A page by number: `(page items, page number, page size, total)`.
pub(crate) struct NumberedPage<T> {
    pub items: Vec<T>,
    pub number: i64,
    pub size: i64,
    pub total: usize,
}

/// Pages `items` by `number_param`/`size_param` (1-based page numbers).
pub(crate) fn by_number<T>(
    number: Option<i64>,
    size: Option<i64>,
    default_size: i64,
    items: Vec<T>,
) -> NumberedPage<T> {
    let number = number.unwrap_or(1).max(1);
    let size = size.unwrap_or(default_size).max(1);
    let total = items.len();
    let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    NumberedPage {
        items: items.into_iter().skip(skip).take(take).collect(),
        number,
        size,
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::decode_form;

    #[test]
    fn marker_pages_walk_every_item_once_in_order() {
        let items: Vec<String> = ["d", "a", "c", "b", "e"].map(String::from).to_vec();
        let mut seen = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let q = match &marker {
                Some(m) => format!("MaxItems=2&Marker={m}"),
                None => "MaxItems=2".to_owned(),
            };
            let (page, meta) = by_marker(
                &Params(decode_form(&q)),
                items.clone(),
                |s| s.clone(),
                |s| json!(s),
            )
            .unwrap_or_else(|e| panic!("{e:?}"));
            seen.extend(page);
            match meta.get("Marker") {
                Some(m) => marker = m.as_str().map(str::to_owned),
                None => break,
            }
        }
        assert_eq!(
            seen,
            vec![json!("a"), json!("b"), json!("c"), json!("d"), json!("e")]
        );
    }

    #[test]
    fn max_items_out_of_range_is_refused_by_name() {
        let r = by_marker(
            &Params(decode_form("MaxItems=0")),
            vec![1],
            |i| i.to_string(),
            |i| json!(i),
        );
        assert_eq!(
            r.err().map(|e| e.code).as_deref(),
            Some("InvalidParameter.MaxItems")
        );
    }

    #[test]
    fn numbered_pages_report_the_total() {
        let p = by_number(Some(2), Some(2), 10, vec![1, 2, 3, 4, 5]);
        assert_eq!((p.items, p.number, p.size, p.total), (vec![3, 4], 2, 2, 5));
    }
}
