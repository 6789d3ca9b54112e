namespace Paju.Field.Server.Accounts;

public static class Roles
{
    public const string Admin = "admin";         // 관리자: registries, devices, users
    public const string Operator = "operator";   // 상황실 운영자: alarms, live map
    public const string Inspector = "inspector"; // 현장 점검자: inspections on a phone
    public const string Viewer = "viewer";       // 열람자: read restricted data

    public static readonly IReadOnlyList<string> All = [Admin, Operator, Inspector, Viewer];

    public static bool IsValid(string role) => All.Contains(role);

    /// <summary>The role as the city's staff call it, for the screens.</summary>
    public static string KoreanName(string role) => role switch
    {
        Admin => "관리자",
        Operator => "상황실 운영자",
        Inspector => "현장 점검원",
        Viewer => "열람자",
        _ => role,
    };
}

/// <summary>Authorization policies by what a caller may do; each lists the roles that may.</summary>
public static class Policies
{
    public const string SignedIn = "signed-in";
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Inspector = "inspector";
}
