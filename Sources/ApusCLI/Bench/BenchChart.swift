import Foundation

/// A hand-written SVG bar chart: for every program (and the geometric mean), one bar per engine
/// showing its min execution time relative to native, on a logarithmic axis.
public enum BenchChart {
    static let palette = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#9c755f"]

    public static func svg(_ results: BenchResults) -> String {
        // Only engines that ran get bars; unavailable ones are named in grey beside the legend.
        let ran = Set(results.columns.filter { $0.unavailable == nil }.map(\.id))
        let engines = results.ratioPairs.filter { $0.denominator == "native" && ran.contains($0.numerator) }
            .map(\.numerator)
        let groups = results.programs.map(\.name) + ["geomean"]
        func value(_ engine: String, _ group: Int) -> Double? {
            group < results.programs.count
                ? results.ratio(engine, "native", group) : results.ratioGeometricMean(engine, "native")
        }
        let values = engines.flatMap { engine in groups.indices.compactMap { value(engine, $0) } }
        let low = pow(10, floor(log10(min(values.min() ?? 1, 0.5))))
        let high = pow(10, ceil(log10(max(values.max() ?? 1, 2))))

        let barWidth = 12.0, groupGap = 14.0, left = 70.0, top = 60.0, plotHeight = 340.0
        let groupWidth = max(1, Double(engines.count)) * barWidth + groupGap
        let plotWidth = Double(groups.count) * groupWidth
        let width = max(left + plotWidth + 30, 900), height = top + plotHeight + 90
        func y(_ ratio: Double) -> Double {
            top + plotHeight * (1 - (log10(ratio) - log10(low)) / (log10(high) - log10(low)))
        }

        var svg: [String] = []
        svg.append(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\""
                + " viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"11\">")
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        let clock = results.clock == .cpu ? "CPU time" : "wall time"
        svg.append(
            "<text x=\"\(f(left))\" y=\"22\" font-size=\"15\" font-weight=\"bold\">Execution time relative to native"
                + " (min of \(results.reps), \(clock), \(results.size.rawValue) sizes; log scale, lower is faster)</text>")
        // Legend.
        var legendX = left
        for (index, engine) in engines.enumerated() {
            svg.append(
                "<rect x=\"\(f(legendX))\" y=\"34\" width=\"12\" height=\"12\" fill=\"\(palette[index % palette.count])\"/>")
            svg.append("<text x=\"\(f(legendX + 16))\" y=\"44\">\(escape(engine))</text>")
            legendX += 30 + Double(engine.count) * 7
        }
        let unavailable = results.columns.filter { $0.unavailable != nil }.map(\.id)
        if !unavailable.isEmpty {
            svg.append(
                "<text x=\"\(f(legendX))\" y=\"44\" fill=\"#888\">unavailable: \(escape(unavailable.joined(separator: ", ")))</text>")
        }
        // Grid lines on a 1-2-5 sequence, with the native line (1.0) emphasized.
        var tick = low
        while tick <= high * 1.0001 {
            for step in [1.0, 2.0, 5.0] {
                let value = tick * step
                guard value >= low * 0.9999, value <= high * 1.0001 else { continue }
                let lineY = y(value)
                let isOne = abs(value - 1) < 1e-9
                svg.append(
                    "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(lineY))\" y2=\"\(f(lineY))\""
                        + " stroke=\"\(isOne ? "#000" : "#ddd")\" stroke-width=\"\(isOne ? 1.5 : 1)\"/>")
                svg.append(
                    "<text x=\"\(f(left - 6))\" y=\"\(f(lineY + 4))\" text-anchor=\"end\">\(label(value))×</text>")
            }
            tick *= 10
        }
        // Bars.
        for (group, name) in groups.enumerated() {
            let groupX = left + Double(group) * groupWidth + groupGap / 2
            for (index, engine) in engines.enumerated() {
                guard let ratio = value(engine, group) else { continue }
                let x = groupX + Double(index) * barWidth
                let base = y(1), tip = y(ratio)  // bars grow from the native line
                let barTop = min(base, tip), barHeight = max(1, abs(tip - base))
                svg.append(
                    "<rect x=\"\(f(x))\" y=\"\(f(barTop))\" width=\"\(f(barWidth - 1))\" height=\"\(f(barHeight))\""
                        + " fill=\"\(palette[index % palette.count])\"><title>\(escape(engine)) / native on"
                        + " \(escape(name)): \(String(format: "%.2f", ratio))×</title></rect>")
            }
            let labelX = groupX + Double(engines.count) * barWidth / 2
            let labelY = top + plotHeight + 12
            svg.append(
                "<text x=\"\(f(labelX))\" y=\"\(f(labelY))\" text-anchor=\"end\""
                    + " transform=\"rotate(-45 \(f(labelX)) \(f(labelY)))\""
                    + (name == "geomean" ? " font-weight=\"bold\"" : "") + ">\(escape(name))</text>")
        }
        svg.append(
            "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\""
                + " fill=\"none\" stroke=\"#666\"/>")
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    static func label(_ value: Double) -> String {
        value >= 1 ? String(format: "%.0f", value) : String(format: "%g", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
