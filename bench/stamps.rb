# frozen_string_literal: true
#
# Every issue of the benchmark project and its subprojects with its updated_on, as the
# REST API shows it (one query; paging 10,000 issues over REST takes minutes):
#
#   scripts/redmine-local runner bench/stamps.rb < {"project": "bench"}
#
# Prints one JSON line: {"issues": [[id, "2026-11-30T01:02:03Z"], ...]} ordered by id.

require 'json'

payload = JSON.parse($stdin.read)
project = Project.find_by!(identifier: payload.fetch('project'))
rows = Issue.where(project_id: project.self_and_descendants.pluck(:id)).order(:id)
            .pluck(:id, :updated_on).map { |id, at| [id, at.utc.iso8601] }
puts JSON.generate({ issues: rows })
