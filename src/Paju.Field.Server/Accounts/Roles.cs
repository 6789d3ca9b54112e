namespace Paju.Field.Server.Accounts;

public static class Roles
{
    public const string Admin = "admin";         // 관리자: registries, devices, users
    public const string Operator = "operator";   // 상황실 운영자: alarms, live map
    public const string Inspector = "inspector"; // 현장 점검자: inspections on a phone
    public const string ManagingBody = "managing_body"; // 관리주체: sees and inspects only the assets assigned to its body
    public const string Committee = "committee"; // 위원회 위원: the event safety reviews
    public const string Viewer = "viewer";       // 열람자: read restricted data

    public static readonly IReadOnlyList<string> All = [Admin, Operator, Inspector, ManagingBody, Committee, Viewer];

    public static bool IsValid(string role) => All.Contains(role);

    /// <summary>The role as the city's staff call it, for the screens.</summary>
    public static string KoreanName(string role) => role switch
    {
        Admin => "관리자",
        Operator => "상황실 운영자",
        Inspector => "현장 점검원",
        ManagingBody => "관리주체",
        Committee => "위원회 위원",
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

    /// <summary>Field work: check-ins and inspections (a managing body only on its own assets, checked per request).</summary>
    public const string FieldWork = "field-work";
}
