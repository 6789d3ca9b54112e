using System.CommandLine;
using Paju.Field.Server.Cli;

// SIGTERM (docker stop, systemd) and Ctrl+C cancel the running command. System.CommandLine then waits this long
// for it to finish before it ends the process with 143 (130 for Ctrl+C); its default of 2 s cut short a server
// still writing its last batches, stopping its host (ASP.NET's own limit is 30 s) and then its private PostgreSQL.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(45) };
return await PajuCommandLine.Build().Parse(args).InvokeAsync(invocation);
