package pipeline

import (
	"bytes"
	"fmt"

	"mediadigest/digest"
	"mediadigest/model"
)

// Format renders d in one of the digest command's formats: html, text,
// json or eml.
func (p *Pipeline) Format(d model.Digest, format string) ([]byte, error) {
	switch format {
	case "html":
		return p.renderer.HTML(d)
	case "text":
		return p.renderer.Text(d)
	case "json":
		return digest.JSON(d)
	case "eml":
		m, err := p.Message(d, "")
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			return nil, fmt.Errorf("pipeline: write eml: %w", err)
		}
		return buf.Bytes(), nil
	}
	return nil, fmt.Errorf("pipeline: unknown format %q", format)
}
