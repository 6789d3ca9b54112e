namespace Paju.Field.Server;

/// <summary>
/// A problem the person running the product can fix (a port in use, a missing package, a wrong
/// setting): commands print its message as one line and exit 1 instead of showing a stack trace.
/// </summary>
public sealed class PajuSetupException(string message, Exception? inner = null) : Exception(message, inner);
