namespace Paju.Field.Server.Ogc;

public enum PropertyType
{
    Text,
    Integer,
    Number,
    Bool,
    Date,
    Timestamp,
}

/// <summary>A feature property: its SQL expression, its JSON type, and whether it can be filtered on (?grade=요수리).</summary>
public sealed record OgcProperty(string Name, string Sql, PropertyType Type, string Title, bool Queryable = false, IReadOnlyList<string>? Values = null);

/// <summary>A LEFT JOIN on a unique key: it never changes the row count, so a count leaves it out unless a filter needs its alias.</summary>
public sealed record OgcJoin(string Alias, string Sql);

/// <summary>
/// The feature's time for the datetime parameter: an instant (EndSql null) or an interval whose
/// missing end is open. Calendar dates (IsDate) are days in Seoul.
/// </summary>
public sealed record OgcTemporal(string StartSql, string? EndSql, string Title, bool IsDate);

/// <summary>
/// One collection of the OGC API: which rows (a FROM clause and a fixed WHERE), which properties,
/// and whether anonymous callers may read it. Restricted collections answer 401 without sign-in
/// and are left out of /collections for anonymous callers.
/// </summary>
public sealed record OgcCollection(
    string Id,
    string Title,
    string Description,
    string GeometryType,
    bool Restricted,
    string From,
    IReadOnlyList<OgcJoin> Joins,
    string Where,
    string IdSql,
    string GeometrySql,
    IReadOnlyList<OgcProperty> Properties,
    OgcTemporal? Temporal = null,
    string? DefaultFilter = null)
{
    public IEnumerable<OgcProperty> Queryables => Properties.Where(p => p.Queryable);
}
