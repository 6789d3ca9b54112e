using System.CommandLine;

namespace Paju.Field.Server.Cli;

/// <summary>The <c>paju</c> command tree.</summary>
public static class PajuCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            파주 현장안전 (Paju Field) — 파주시 행정안전국 GIS·IoT 현장 운영 시스템.

            처음이라면:  ./paju demo   (내장 PostgreSQL·샘플 데이터·데모 계정으로 바로 실행)
            테스트:      ./paju test
            운영 환경은 ConnectionStrings__Paju 로 PostgreSQL/PostGIS 를 지정합니다 (README 참고).
            """);
        root.Options.Add(CommonOptions.Config);
        root.Subcommands.Add(ServeCommands.Demo());
        root.Subcommands.Add(ServeCommands.Serve());
        root.Subcommands.Add(DbCommands.Create());
        root.Subcommands.Add(SeedCommand.Create());
        root.Subcommands.Add(UserCommands.Create());
        root.Subcommands.Add(DeviceCommands.Create());
        root.Subcommands.Add(DeviceCommands.Broker());
        root.Subcommands.Add(TagCommands.Create());
        root.Subcommands.Add(ProgramCommands.Program());
        root.Subcommands.Add(ProgramCommands.Body());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(SimulateCommand.Create());
        root.Subcommands.Add(ImportCommands.Import());
        root.Subcommands.Add(ImportCommands.Export());
        return root;
    }
}
