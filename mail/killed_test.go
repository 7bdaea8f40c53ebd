package mail

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gomail "github.com/wneessen/go-mail"
)

// The test binary re-runs itself as a writer of one message: into the
// directory named by writerDirEnv, with the Message-ID in writerIDEnv.
const (
	writerDirEnv = "MEDIADIGEST_TEST_FILE_WRITER_DIR"
	writerIDEnv  = "MEDIADIGEST_TEST_FILE_WRITER_ID"
)

// TestFileTransportKilledMidWrite: a process killed (SIGKILL) while it
// writes a message leaves a temporary file in mail.dir; the next Send
// removes it, but not the one a live process is writing, which goes on to
// deliver its message whole.
func TestFileTransportKilledMidWrite(t *testing.T) {
	if dir := os.Getenv(writerDirEnv); dir != "" {
		writeAsChild(t, dir, os.Getenv(writerIDEnv))
		return
	}
	dir := filepath.Join(t.TempDir(), "outbox")

	killed := startWriter(t, dir, "killed@example.com")
	if err := killed.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = killed.cmd.Wait()
	if got := files(t, dir); len(got) != 1 || !strings.HasPrefix(got[0], ".killed@example.com.") {
		t.Fatalf("after the kill, %s holds %q; want the killed writer's temporary file", dir, got)
	}

	live := startWriter(t, dir, "live@example.com")
	msg := gomail.NewMsg()
	msg.SetMessageIDWithValue("next@example.com")
	msg.SetBodyString(gomail.TypeTextPlain, "next")
	for i, err := range sendAll(t, context.Background(), NewFile(dir), []*gomail.Msg{msg}) {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	got := files(t, dir)
	if len(got) != 2 || !strings.HasPrefix(got[0], ".live@example.com.") || got[1] != "next@example.com.eml" {
		t.Fatalf("after the next Send, %s holds %q; want the live writer's temporary file and next@example.com.eml", dir, got)
	}

	// The live writer finishes.
	live.stdin.Close()
	if err := live.cmd.Wait(); err != nil {
		t.Fatalf("live writer: %v", err)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"live@example.com.eml", "next@example.com.eml"}) {
		t.Fatalf("after the live writer ended, %s holds %q", dir, got)
	}
	b, err := os.ReadFile(filepath.Join(dir, "live@example.com.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(bytes.TrimSpace(b), []byte("end of message")) {
		t.Errorf("live@example.com.eml is not whole: ends %q", b[max(0, len(b)-40):])
	}
}

type writer struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startWriter runs the test binary as a writer of the message id into dir,
// and returns once it is half-way through writing it.
func startWriter(t *testing.T, dir, id string) writer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFileTransportKilledMidWrite$")
	cmd.Env = append(os.Environ(), writerDirEnv+"="+dir, writerIDEnv+"="+id)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "writing\n" {
		t.Fatalf("writer %s said %q (%v), want it writing", id, line, err)
	}
	go io.Copy(io.Discard, stdout)
	return writer{cmd: cmd, stdin: stdin}
}

// writeAsChild writes one message through the file transport; half-way
// through its body it says "writing" and waits for its stdin to close.
func writeAsChild(t *testing.T, dir, id string) {
	m := gomail.NewMsg()
	m.SetMessageIDWithValue(id)
	m.SetBodyWriter(gomail.TypeTextPlain, func(w io.Writer) (int64, error) {
		n, err := w.Write(bytes.Repeat([]byte("digest line\r\n"), 16<<10/13))
		if err != nil {
			return int64(n), err
		}
		fmt.Println("writing")
		_, _ = io.Copy(io.Discard, os.Stdin)
		m, err := io.WriteString(w, "end of message\r\n")
		return int64(n + m), err
	})
	for _, err := range sendAll(t, context.Background(), NewFile(dir), []*gomail.Msg{m}) {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// files lists the names in dir, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
