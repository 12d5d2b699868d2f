# A tracker named ARGV[1] (risks people file), enabled in project ARGV[0] only; with
# ARGV[0] "-" the tracker and its issues are removed again.
name = ARGV[1]
if ARGV[0] == '-'
  tracker = Tracker.find_by(name: name)
  if tracker
    Issue.where(tracker_id: tracker.id).destroy_all
    tracker.destroy
  end
  puts 'removed'
else
  project = Project.find_by_identifier!(ARGV[0])
  tracker = Tracker.find_or_initialize_by(name: name)
  tracker.default_status = IssueStatus.find_by!(name: 'New')
  tracker.save!
  project.trackers << tracker unless project.trackers.include?(tracker)
  project.save!
  puts tracker.id
end
