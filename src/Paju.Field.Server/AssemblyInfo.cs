using System.Runtime.Versioning;

// The server runs on Linux: the private cluster uses runuser, /proc and Unix file modes.
[assembly: SupportedOSPlatform("linux")]
