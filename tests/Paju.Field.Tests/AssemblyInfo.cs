using System.Runtime.Versioning;

// Like the server, the tests run on Linux (private cluster, runuser, /proc, pty pairs).
[assembly: SupportedOSPlatform("linux")]
