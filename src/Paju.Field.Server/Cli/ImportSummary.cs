using Paju.Field.Server.Import;

namespace Paju.Field.Server.Cli;

/// <summary>What an import did, for a person at the terminal: counts, the first problems, where the report is.</summary>
public static class ImportSummary
{
    private const int Shown = 20;

    public static void Print(ImportRequest request, ImportResult result, long peakBytes)
    {
        var heading = result.Outcome switch
        {
            ImportOutcome.Applied => $"가져왔습니다: 배치 {result.BatchId} (되돌리기: paju import undo {result.BatchId})",
            ImportOutcome.DryRun => "검사만 했습니다 (--dry-run): 아무것도 쓰지 않았습니다",
            _ => $"아무것도 쓰지 않았습니다: 잘못된 행이 {result.Invalid:N0}개 있습니다 (배치 {result.BatchId}에 기록). " +
                 "고쳐서 다시 가져오거나 --skip-invalid 로 올바른 행만 넣으십시오",
        };
        Console.WriteLine(heading);
        Console.WriteLine($"  파일        {Path.GetFileName(request.File)} ({result.Format}, EPSG:{result.Crs.Srid}), 종류 {request.Kind.Name} ({request.Kind.Label})");
        Console.WriteLine($"  읽은 행     {result.RowsRead,10:N0}");
        if (result.Written is { } w)
        {
            Console.WriteLine($"  새로 넣음   {w.Inserted,10:N0}");
            Console.WriteLine($"  바뀜        {w.Updated,10:N0}");
            Console.WriteLine($"  그대로      {w.Unchanged,10:N0}");
            if (request.RetireMissing)
            {
                Console.WriteLine($"  폐지        {w.Retired,10:N0}");
            }
            if (w.AreasReassigned > 0)
            {
                Console.WriteLine($"  읍면동 다시 지정 {w.AreasReassigned,5:N0}");
            }
        }
        Console.WriteLine($"  잘못됨      {result.Invalid,10:N0}");
        if (request.ClipToCity)
        {
            Console.WriteLine($"  파주 밖(걸러냄) {result.Filtered,6:N0}");
        }
        if (request.Repair)
        {
            Console.WriteLine($"  고쳐 넣음   {result.Repaired,10:N0}");
        }
        if (request.Full)
        {
            Console.WriteLine($"  파일에 없음 {result.Missing.Count,10:N0}" + (request.RetireMissing ? " (폐지 처리)" : " (--retire-missing 으로 폐지 처리)"));
        }
        var rate = result.Elapsed.TotalSeconds > 0 ? result.RowsRead / result.Elapsed.TotalSeconds : 0;
        Console.WriteLine($"  시간        {result.Elapsed.TotalSeconds,10:N1}초 ({rate:N0}행/초), 최대 메모리 {peakBytes / (1024 * 1024):N0} MB");
        Console.WriteLine($"  보고서      {result.ReportPath}");
        foreach (var issue in result.Issues.Take(Shown))
        {
            var where = issue.Row is { } row ? $"{row}행" : "-";
            Console.WriteLine($"    {where,8} {issue.Field,-14} {issue.Reason}" + (issue.Value is null ? "" : $"  [{issue.Value}]"));
        }
        if (result.IssueCount > Shown)
        {
            Console.WriteLine($"    … 외 {result.IssueCount - Shown:N0}건은 보고서에 있습니다");
        }
    }
}
