using Paju.Field.Server.Cli;

return await PajuCommandLine.Build().Parse(args).InvokeAsync();
