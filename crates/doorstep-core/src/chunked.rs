//! A vector kept in shared chunks. Copying it costs one reference count per chunk, and
//! changing an element copies only the chunk that holds it. A record's evaluation is copied on
//! every answer (the app keeps the state before the answer and the state after it), and an
//! answer changes a handful of fields out of hundreds.

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

/// How many elements a chunk holds.
const CHUNK_LEN: usize = 32;

/// A vector of `T` in shared chunks of [`CHUNK_LEN`] elements.
#[derive(Clone, PartialEq)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Arc<Vec<T>>>,
    len: usize,
}

impl<T: Clone> Chunked<T> {
    /// `len` copies of `value`.
    pub(crate) fn filled(value: T, len: usize) -> Chunked<T> {
        Chunked::from_iter(std::iter::repeat_n(value, len))
    }

    /// How many elements there are.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The element at `index`, if there is one.
    pub(crate) fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index / CHUNK_LEN)?.get(index % CHUNK_LEN)
    }

    /// Replaces the element at `index`, copying its chunk first if another vector shares it.
    /// An index past the end changes nothing (and is a bug, caught in debug builds).
    pub(crate) fn set(&mut self, index: usize, value: T) {
        debug_assert!(
            index < self.len,
            "index {index} past the end ({})",
            self.len
        );
        if let Some(chunk) = self.chunks.get_mut(index / CHUNK_LEN) {
            if let Some(slot) = Arc::make_mut(chunk).get_mut(index % CHUNK_LEN) {
                *slot = value;
            }
        }
    }

    /// The elements in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }
}

impl<T> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Chunked<T> {
        let mut chunks = Vec::new();
        let mut chunk = Vec::with_capacity(CHUNK_LEN);
        let mut len = 0;
        for item in items {
            chunk.push(item);
            len += 1;
            if chunk.len() == CHUNK_LEN {
                chunks.push(Arc::new(std::mem::replace(
                    &mut chunk,
                    Vec::with_capacity(CHUNK_LEN),
                )));
            }
        }
        if !chunk.is_empty() {
            chunks.push(Arc::new(chunk));
        }
        Chunked { chunks, len }
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        &self.chunks[index / CHUNK_LEN][index % CHUNK_LEN]
    }
}

impl<T: fmt::Debug + Clone> fmt::Debug for Chunked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_its_chunks_until_one_is_changed() {
        let original: Chunked<u32> = (0..100).collect();
        assert_eq!(original.len(), 100);
        assert_eq!(original.get(99), Some(&99));
        assert_eq!(original.get(100), None);
        let mut copy = original.clone();
        copy.set(40, 1000);
        assert_eq!(copy[40], 1000);
        assert_eq!(original[40], 40, "the original is untouched");
        assert_ne!(copy, original);
        // Only the chunk holding element 40 was copied.
        let shared = (0..original.chunks.len())
            .filter(|&k| Arc::ptr_eq(&original.chunks[k], &copy.chunks[k]))
            .count();
        assert_eq!(shared, original.chunks.len() - 1);
        assert_eq!(
            copy.iter().copied().sum::<u32>(),
            (0..100).sum::<u32>() - 40 + 1000
        );
        assert_eq!(format!("{:?}", Chunked::filled(1, 3)), "[1, 1, 1]");
    }
}
