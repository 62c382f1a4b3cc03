package tailer

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ReadReader reads r once to its end, handing its lines to h exactly as
// ReadFile does (same line bound; a partial last line handed on as a line).
// It serves what cannot be pread: a gzip stream of a rotated log. It returns
// the bytes read from r.
func ReadReader(ctx context.Context, r io.Reader, opts Options, h FileHandler) (int64, error) {
	if err := opts.setDefaults(); err != nil {
		return 0, err
	}
	t := &Tailer{opts: opts, buf: make([]byte, opts.BufferBytes)}
	f := &file{h: h}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := copy(t.buf, f.carry)
		m, err := io.ReadFull(r, t.buf[n:])
		if m > 0 {
			total += int64(m)
			t.consume(f, t.buf[:n+m])
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return total, fmt.Errorf("read: %w", err)
		}
	}
	t.flushPartial(f)
	return total, nil
}
