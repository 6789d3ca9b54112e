using System.Runtime.Versioning;

// Serial lines and ptys as Linux has them; the gateway runs on Linux.
[assembly: SupportedOSPlatform("linux")]
