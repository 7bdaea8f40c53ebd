package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"
)

// compress gzips a page body. Pages are compressed at gzip's best speed:
// they are an archive read back only by reprocess, and the default level
// costs twice the time for 4% less space.
func (s *Store) compress(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, ok := s.gzips.Get().(*gzip.Writer)
	if ok {
		zw.Reset(&buf)
	} else {
		// BestSpeed is a valid level: NewWriterLevel cannot fail.
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	}
	defer s.gzips.Put(zw)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// saveRawPage writes a compressed page body of size bytes uncompressed,
// replacing an earlier copy of the same URL.
func saveRawPage(ctx context.Context, q interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, url, outlet string, z []byte, size int, fetched time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO raw_pages (url, outlet, fetched, size, body) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET outlet = excluded.outlet, fetched = excluded.fetched,
			size = excluded.size, body = excluded.body`,
		url, outlet, fmtTime(fetched), size, z)
	return err
}

// RawPage returns the stored body of the page at url, uncompressed, or an
// error wrapping ErrNotFound.
func (s *Store) RawPage(ctx context.Context, url string) ([]byte, error) {
	var z []byte
	var size int
	err := s.r.QueryRowContext(ctx, "SELECT body, size FROM raw_pages WHERE url = ?", url).Scan(&z, &size)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: raw page %s: %w", url, err)
	}
	body, err := gunzip(z, size)
	if err != nil {
		return nil, fmt.Errorf("store: raw page %s: %w", url, err)
	}
	return body, nil
}

// ForEachRawPage calls fn with each stored page of the outlet ("" for every
// outlet), ordered by URL, one page in memory at a time. fn may call other
// Store methods. An error from fn stops the walk and is returned as is.
func (s *Store) ForEachRawPage(ctx context.Context, outlet string, fn func(url string, body []byte) error) error {
	query, args := "SELECT url, body, size FROM raw_pages ORDER BY url", []any(nil)
	if outlet != "" {
		query, args = "SELECT url, body, size FROM raw_pages WHERE outlet = ? ORDER BY url", []any{outlet}
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("store: list raw pages of %q: %w", outlet, err)
	}
	defer rows.Close()
	for rows.Next() {
		var url string
		var z []byte
		var size int
		if err := rows.Scan(&url, &z, &size); err != nil {
			return fmt.Errorf("store: list raw pages of %q: %w", outlet, err)
		}
		body, err := gunzip(z, size)
		if err != nil {
			return fmt.Errorf("store: raw page %s: %w", url, err)
		}
		if err := fn(url, body); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: list raw pages of %q: %w", outlet, err)
	}
	return nil
}

// gunzip decompresses a stored body of the given uncompressed size.
func gunzip(z []byte, size int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	body := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := io.Copy(body, zr); err != nil {
		return nil, fmt.Errorf("decompress: %w", err)
	}
	if body.Len() != size {
		return nil, fmt.Errorf("decompress: got %d bytes, stored size is %d", body.Len(), size)
	}
	return body.Bytes(), nil
}
