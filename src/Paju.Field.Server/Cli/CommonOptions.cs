using System.CommandLine;

namespace Paju.Field.Server.Cli;

/// <summary>
/// Options shared by commands. None has a built-in default value, so "not given" can be told
/// apart from "given" and configuration files and the environment keep their say.
/// </summary>
public static class CommonOptions
{
    public static readonly Option<string> Data = new("--data")
    {
        Description = "데이터 폴더: 내장 PostgreSQL 클러스터, 키, 데모 계정 (기본값 ./.paju)",
        HelpName = "DIR",
    };

    public static readonly Option<string> Database = new("--db")
    {
        Description = "PostgreSQL 연결 문자열 (ConnectionStrings__Paju). 주면 내장 클러스터를 띄우지 않습니다",
        HelpName = "CONNECTION",
    };

    public static readonly Option<string> Http = new("--http")
    {
        Description = "웹 서버 주소 HOST:PORT (기본값 127.0.0.1:8080)",
        HelpName = "HOST:PORT",
    };

    public static readonly Option<string> Https = new("--https")
    {
        Description = "HTTPS 주소 HOST:PORT (HTTP/2 포함). 인증서를 주지 않으면 데이터 폴더의 자체 인증기관으로 만듭니다 (Paju__Https)",
        HelpName = "HOST:PORT",
    };

    public static readonly Option<string> Certificate = new("--cert")
    {
        Description = "HTTPS 인증서 PEM 파일 (체인 포함). 파일이 바뀌면 재시작 없이 다시 읽습니다 (Paju__CertificateFile)",
        HelpName = "FILE",
    };

    public static readonly Option<string> Key = new("--key")
    {
        Description = "HTTPS 인증서의 개인 키 PEM 파일 (Paju__KeyFile)",
        HelpName = "FILE",
    };

    public static readonly Option<string> PublicBaseUrl = new("--public-base-url")
    {
        Description = "외부에서 접속하는 주소, 예: https://gis.paju.go.kr/field (Paju__PublicBaseUrl)",
        HelpName = "URL",
    };

    public static readonly Option<string> Mqtt = new("--mqtt")
    {
        Description = "내장 MQTT 브로커 주소 HOST:PORT (기본값 127.0.0.1:1883, Paju__Mqtt__Endpoint)",
        HelpName = "HOST:PORT",
    };

    public static readonly Option<string> Config = new("--config")
    {
        Description = "설정 파일 (JSON, config/paju.sample.json 참고)",
        HelpName = "FILE",
        Recursive = true,
    };

    public static T WithDatabaseOptions<T>(this T command) where T : Command
    {
        command.Options.Add(Data);
        command.Options.Add(Database);
        return command;
    }

    public static T WithServerOptions<T>(this T command) where T : Command
    {
        command.Options.Add(Http);
        command.Options.Add(Https);
        command.Options.Add(Certificate);
        command.Options.Add(Key);
        command.Options.Add(PublicBaseUrl);
        command.Options.Add(Mqtt);
        return command.WithDatabaseOptions();
    }
}
